/** JSON Schema fragment for one variable (validated by ajv with type coercion from strings). */
export type VariableSchema = Readonly<Record<string, unknown>>;

/** One configuration variable: the single source of its validation, default and documentation. */
export interface ConfigVariable {
  name: string;
  /** The default as documented (derived defaults are described, e.g. `<dataDir>/iomt-bridge.db`). */
  default: string;
  description: string;
  schema: VariableSchema;
  /** `path`: resolved to an absolute path; `list`: comma-separated in the environment. */
  kind?: 'path' | 'list';
}

const text: VariableSchema = { type: 'string', minLength: 1 };
const int = (minimum: number, maximum: number): VariableSchema => ({ type: 'integer', minimum, maximum });

/** Every variable iomt-bridge reads; any other `IOMT_*` variable is refused (it is most likely a typo). */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.freeze([
  { name: 'IOMT_CONFIG_FILE', default: '(none)', kind: 'path', schema: text,
    description: 'JSON file with any of these variables as keys (except this one). Environment variables win over it; relative paths in it are relative to the file.' },
  { name: 'IOMT_DATA_DIR', default: '`<cwd>/data`', kind: 'path', schema: text,
    description: 'Folder for the database and generated keys.' },
  { name: 'IOMT_HOST', default: '`127.0.0.1`', schema: { type: 'string', pattern: '^[A-Za-z0-9.:%\\-]+$' },
    description: 'Interface to listen on (`0.0.0.0` for all).' },
  { name: 'IOMT_PORT', default: '`8080`', schema: int(0, 65535),
    description: 'TCP port; `0` picks any free port.' },
  { name: 'IOMT_PUBLIC_URL', default: '`http://localhost:<port>`', schema: text,
    description: 'Public base URL of the bridge as clients see it (http or https, no query or fragment; a trailing slash is removed). The FHIR base is `<url>/fhir`, the device token audience `<url>/ingest`.' },
  { name: 'IOMT_STORE', default: '`sqlite`', schema: { enum: ['sqlite'] },
    description: 'Storage adapter. Only `sqlite` for now.' },
  { name: 'IOMT_SQLITE_FILE', default: '`<dataDir>/iomt-bridge.db`', kind: 'path', schema: text,
    description: 'SQLite database file.' },
  { name: 'IOMT_MAPPINGS_DIR', default: '`<package>/mappings`', kind: 'path', schema: text,
    description: 'Folder of device-family mappings, compiled at start-up.' },
  { name: 'IOMT_PROFILES_DIR', default: '`<package>/profiles`', kind: 'path', schema: text,
    description: 'Folder of StructureDefinitions (profiles), compiled at start-up.' },
  { name: 'IOMT_INGEST_MAX_BYTES', default: '`1048576`', schema: int(1024, 64 * 1024 * 1024),
    description: 'Largest ingest request body in bytes (1 KiB to 64 MiB); larger ones get 413.' },
  { name: 'IOMT_INGEST_MAX_ITEMS', default: '`10000`', schema: int(1, 1_000_000),
    description: 'Most items (readings) in one ingest request.' },
  { name: 'IOMT_INGEST_MAX_DEPTH', default: '`32`', schema: int(1, 256),
    description: 'Deepest JSON nesting accepted in an ingest payload.' },
  { name: 'IOMT_DEVICE_TOKEN_MAX_LIFETIME_S', default: '`300`', schema: int(1, 300),
    description: 'Longest lifetime (`exp - iat`, seconds) accepted for a device-signed ingest token (1 to 300).' },
  { name: 'IOMT_CLOCK_TOLERANCE_S', default: '`30`', schema: int(0, 300),
    description: 'Clock skew tolerated when checking token `exp`, `nbf` and `iat` (0 to 300 seconds).' },
  { name: 'IOMT_AUTH_ISSUER', default: '(none)', schema: text,
    description: 'Issuer (`iss`) of the SMART access tokens the FHIR API accepts. Needs exactly one of IOMT_AUTH_JWKS_URL / IOMT_AUTH_JWKS_FILE.' },
  { name: 'IOMT_AUTH_JWKS_URL', default: '(none)', schema: text,
    description: "URL of the issuer's JWKS (https; http only on loopback)." },
  { name: 'IOMT_AUTH_JWKS_FILE', default: '(none)', kind: 'path', schema: text,
    description: "File holding the issuer's JWKS (JSON)." },
  { name: 'IOMT_AUTH_AUDIENCE', default: 'the FHIR base URL', schema: text,
    description: 'Required `aud` of access tokens.' },
  { name: 'IOMT_AUTH_ALGORITHMS', default: '`RS256,RS384,ES256,ES384`', kind: 'list',
    schema: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['RS256', 'RS384', 'ES256', 'ES384'] } },
    description: 'Comma-separated signature algorithms accepted on access tokens (a subset of the default).' },
  { name: 'IOMT_DEV_ISSUER', default: '`auto`', schema: { enum: ['auto', 'on', 'off'] },
    description: 'Built-in development token issuer at `<public url>/dev-issuer`: `on`, `off`, or `auto` (on unless IOMT_AUTH_ISSUER is set). Off with no IOMT_AUTH_ISSUER is an error: the API would accept no token.' },
  { name: 'IOMT_LOG_LEVEL', default: '`info`', schema: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    description: 'Log level: fatal, error, warn, info, debug, trace or silent.' },
  { name: 'IOMT_FHIR_DEFAULT_COUNT', default: '`50`', schema: int(1, 10_000),
    description: 'Page size of FHIR searches without `_count` (at most IOMT_FHIR_MAX_COUNT).' },
  { name: 'IOMT_FHIR_MAX_COUNT', default: '`1000`', schema: int(1, 10_000),
    description: 'Largest page size; a larger `_count` is reduced to it.' },
] satisfies ConfigVariable[]);

/** Names of all variables, for lookups. */
export const VARIABLE_NAMES: ReadonlySet<string> = new Set(CONFIG_VARIABLES.map((v) => v.name));
