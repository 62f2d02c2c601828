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
  { name: 'IOMT_VALIDATION_ALLOWED_EXTENSION_DOMAINS', default: '(none)', kind: 'list', schema: { type: 'array', minItems: 1, uniqueItems: true, items: text },
    description: 'Comma-separated domains (hosts such as `example.org`, or URL prefixes) whose extensions are accepted without a definition; any other unknown extension is a validation error. `*` accepts all.' },
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
  // Opaque tokens and SMART discovery (issue 5). See docs/smart.md.
  { name: 'IOMT_AUTH_INTROSPECTION_URL', default: '(none)', schema: text,
    description: "RFC 7662 introspection endpoint of the EHR's authorization server, for opaque (non-JWT) access tokens (https; http only on loopback). Needs IOMT_AUTH_INTROSPECTION_CLIENT_ID and _SECRET." },
  { name: 'IOMT_AUTH_INTROSPECTION_CLIENT_ID', default: '(none)', schema: text,
    description: "The bridge's client id at the authorization server, for introspection (client_secret_basic)." },
  { name: 'IOMT_AUTH_INTROSPECTION_CLIENT_SECRET', default: '(none)', schema: text,
    description: 'Its client secret. Prefer the IOMT_CONFIG_FILE (mode 0600) to the environment for it.' },
  { name: 'IOMT_AUTH_INTROSPECTION_CACHE_S', default: '`30`', schema: int(0, 300),
    description: 'Seconds an introspection answer is reused (never past the token `exp`); a revoked token is refused at the latest this long after. `0` = ask every time.' },
  { name: 'IOMT_AUTH_AUTHORIZE_URL', default: '(none)', schema: text,
    description: "The EHR authorization server's authorization endpoint, advertised in `/fhir/.well-known/smart-configuration` and the CapabilityStatement." },
  { name: 'IOMT_AUTH_TOKEN_URL', default: '(none)', schema: text,
    description: 'Its token endpoint, advertised likewise. Without it the discovery document answers 404 (SMART requires a token endpoint).' },
  { name: 'IOMT_DEV_ISSUER', default: '`auto`', schema: { enum: ['auto', 'on', 'off'] },
    description: 'Built-in development token issuer at `<public url>/dev-issuer`: `on`, `off`, or `auto` (on unless IOMT_AUTH_ISSUER or IOMT_AUTH_INTROSPECTION_URL is set). Off with no IOMT_AUTH_ISSUER is an error: the API would accept no token.' },
  // The SMART app clinicians launch from the EHR (issue 5). Off unless IOMT_APP_EHRS is set. See docs/smart.md.
  { name: 'IOMT_APP_EHRS', default: '(none: app off)', kind: 'list', schema: { type: 'array', minItems: 1, uniqueItems: true, items: text },
    description: 'Comma-separated FHIR base URLs of the EHRs allowed to launch the app (the `iss` allow-list, exact match; https, http only on loopback). Any other `iss` is refused before any request is made to it.' },
  { name: 'IOMT_APP_CLIENT_ID', default: '`iomt-bridge-app`', schema: text,
    description: "The app's client id at the EHR (a public client: PKCE S256, no secret)." },
  { name: 'IOMT_APP_SCOPE', default: '`launch openid fhirUser offline_access patient/Patient.rs patient/Observation.rs patient/Device.rs`', schema: text,
    description: 'Scopes the app requests (`launch` is added for EHR launches, `launch/patient` for standalone ones).' },
  { name: 'IOMT_APP_SESSION_TTL_S', default: '`28800`', schema: int(60, 7 * 24 * 3600),
    description: 'Lifetime of an app session (server-side; the cookie holds only a sealed session id). The sealing secret is generated into `<dataDir>/keys/app-session.secret` (0600).' },
  { name: 'IOMT_LOG_LEVEL', default: '`info`', schema: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    description: 'Log level: fatal, error, warn, info, debug, trace or silent.' },
  { name: 'IOMT_FHIR_DEFAULT_COUNT', default: '`50`', schema: int(1, 10_000),
    description: 'Page size of FHIR searches without `_count` (at most IOMT_FHIR_MAX_COUNT).' },
  { name: 'IOMT_FHIR_MAX_COUNT', default: '`1000`', schema: int(1, 10_000),
    description: 'Largest page size; a larger `_count` is reduced to it.' },
  // Delivery to the EHR (issue 6): off unless IOMT_EHR_BASE_URL is set. See docs/delivery.md.
  { name: 'IOMT_EHR_BASE_URL', default: '(none: delivery off)', schema: text,
    description: "FHIR base URL of the EHR readings are pushed to (https; http only on loopback). Nothing outside it is ever requested, and URLs in the EHR's answers outside it are not followed." },
  { name: 'IOMT_EHR_CLIENT_ID', default: '(none)', schema: text,
    description: 'Our SMART Backend Services client id at the EHR (`iss` and `sub` of the client assertion). Required with IOMT_EHR_BASE_URL.' },
  { name: 'IOMT_EHR_TOKEN_URL', default: "discovered from `<EHR base>/.well-known/smart-configuration`", schema: text,
    description: "The EHR's OAuth token endpoint (https; http only on loopback)." },
  { name: 'IOMT_EHR_SCOPES', default: '`system/Patient.rs system/Device.cu system/Observation.cu`', schema: text,
    description: 'Space-separated `system/` scopes requested with each access token.' },
  { name: 'IOMT_EHR_CLIENT_ALG', default: '`ES384`', schema: { enum: ['ES384', 'RS384'] },
    description: 'Signature algorithm of the client assertion; the key is generated on first start into `<dataDir>/keys/` (0600) and published at `/.well-known/jwks.json`.' },
  { name: 'IOMT_EHR_PATIENT_IDENTIFIER_SYSTEM', default: '(none: patient ids are EHR ids)', schema: text,
    description: "When set, a reading's `Patient/ID` is looked up at the EHR as `Patient?identifier=<system>|ID`; otherwise ID is read as the EHR's own Patient id. Either way the device's link at the EHR is the fallback; unresolvable goes to the dead letter." },
  { name: 'IOMT_EHR_BATCH_SIZE', default: '`50`', schema: int(1, 1000),
    description: 'Most outbox entries pushed in one transaction Bundle.' },
  { name: 'IOMT_EHR_CONCURRENCY', default: '`8`', schema: int(1, 64),
    description: 'Transaction Bundles in flight to the EHR at once (each device stays in order).' },
  { name: 'IOMT_EHR_TIMEOUT_MS', default: '`10000`', schema: int(100, 600_000),
    description: 'Time allowed for one EHR request, answer included; a timeout is retried.' },
  { name: 'IOMT_EHR_MAX_ATTEMPTS', default: '`25`', schema: int(1, 1000),
    description: 'Attempts before a retryable failure (5xx, 429, timeout, reset) sends the entry to the dead letter.' },
  { name: 'IOMT_EHR_RETRY_BASE_MS', default: '`1000`', schema: int(1, 3_600_000),
    description: 'First retry delay; it doubles per attempt (full jitter) up to IOMT_EHR_RETRY_MAX_MS. `Retry-After` is honoured (up to one hour).' },
  { name: 'IOMT_EHR_RETRY_MAX_MS', default: '`300000`', schema: int(1, 86_400_000),
    description: 'Longest retry delay.' },
  { name: 'IOMT_EHR_BREAKER_THRESHOLD', default: '`5`', schema: int(1, 1000),
    description: 'Consecutive failed attempts that open the circuit breaker (delivery pauses, then one probe).' },
  { name: 'IOMT_EHR_BREAKER_COOLDOWN_MS', default: '`5000`', schema: int(1, 3_600_000),
    description: 'Pause before the first probe; doubles while probes fail, up to 60 times this.' },
  { name: 'IOMT_EHR_POLL_MS', default: '`100`', schema: int(10, 60_000),
    description: 'How often an idle worker looks for new outbox entries.' },
  { name: 'IOMT_EHR_LEASE_S', default: '`60`', schema: int(1, 3600),
    description: 'How long a worker holds claimed entries; after a crash they are delivered again once it runs out (safe: conditional create). Keep it above IOMT_EHR_TIMEOUT_MS.' },
] satisfies ConfigVariable[]);

/** Names of all variables, for lookups. */
export const VARIABLE_NAMES: ReadonlySet<string> = new Set(CONFIG_VARIABLES.map((v) => v.name));
