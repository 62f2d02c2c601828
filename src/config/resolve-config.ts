import { join } from 'node:path';
import type { Config, JwsAlgorithm, LogLevel } from './config';
import type { ConfigProblem } from './config-error';
import { refuseUnused, valueOr } from './config-values';
import { resolveEhrConfig } from './resolve-ehr-config';
import { resolveMqttConfig } from './resolve-mqtt-config';
import { resolvePostgresConfig } from './resolve-postgres-config';
import { resolveSmartConfig } from './resolve-smart-config';
import { resolveTlsConfig } from './resolve-tls-config';

/** Where defaults that depend on the process come from. */
export interface ResolveContext {
  cwd: string;
  packageRoot: string;
}

/**
 * Applies defaults, derives URLs and checks the rules that span variables. `values` holds only what was set,
 * already typed by validateVariables. Problems are pushed, each naming a variable.
 */
export function resolveConfig(values: ReadonlyMap<string, unknown>, ctx: ResolveContext, problems: ConfigProblem[]): Config {
  const get = valueOr(values);
  const port = get('IOMT_PORT', 8080);
  const explicitUrl = values.get('IOMT_PUBLIC_URL') as string | undefined;
  const tls = resolveTlsConfig(values, problems);
  const publicUrl = explicitUrl === undefined ? defaultPublicUrl(tls !== undefined, port) : checkedBaseUrl(explicitUrl, problems);
  const dataDir = get('IOMT_DATA_DIR', join(ctx.cwd, 'data'));
  const config: Config = {
    ...derivedUrls(publicUrl),
    dataDir,
    host: get('IOMT_HOST', '127.0.0.1'),
    port,
    publicUrlIsDefault: explicitUrl === undefined,
    store: get('IOMT_STORE', 'sqlite'),
    sqliteFile: get('IOMT_SQLITE_FILE', join(dataDir, 'iomt-bridge.db')),
    mappingsDir: get('IOMT_MAPPINGS_DIR', join(ctx.packageRoot, 'mappings')),
    profilesDir: get('IOMT_PROFILES_DIR', join(ctx.packageRoot, 'profiles')),
    ingestMaxBytes: get('IOMT_INGEST_MAX_BYTES', 1_048_576),
    ingestMaxItems: get('IOMT_INGEST_MAX_ITEMS', 10_000),
    ingestMaxDepth: get('IOMT_INGEST_MAX_DEPTH', 32),
    deviceTokenMaxLifetimeS: get('IOMT_DEVICE_TOKEN_MAX_LIFETIME_S', 300),
    clockToleranceS: get('IOMT_CLOCK_TOLERANCE_S', 30),
    authAudience: get('IOMT_AUTH_AUDIENCE', `${publicUrl}/fhir`),
    authAlgorithms: get<JwsAlgorithm[]>('IOMT_AUTH_ALGORITHMS', ['RS256', 'RS384', 'ES256', 'ES384']),
    devIssuer: false,
    logLevel: get<LogLevel>('IOMT_LOG_LEVEL', 'info'),
    fhirDefaultCount: get('IOMT_FHIR_DEFAULT_COUNT', 50),
    fhirMaxCount: get('IOMT_FHIR_MAX_COUNT', 1000),
  };
  if (tls !== undefined) config.tls = tls;
  const postgres = resolvePostgresConfig(values, problems);
  if (postgres !== undefined) config.postgres = postgres;
  const domains = values.get('IOMT_VALIDATION_ALLOWED_EXTENSION_DOMAINS') as string[] | undefined;
  if (domains !== undefined) config.validationAllowedExtensionDomains = domains;
  Object.assign(config, resolveSmartConfig(values, problems));
  resolveIssuer(config, values, problems);
  const ehr = resolveEhrConfig(values, problems);
  if (ehr !== undefined) config.ehr = ehr;
  const mqtt = resolveMqttConfig(values, problems);
  if (mqtt !== undefined) config.mqtt = mqtt;
  if (config.fhirDefaultCount > config.fhirMaxCount) {
    problems.push({ variable: 'IOMT_FHIR_DEFAULT_COUNT', reason: `must be <= IOMT_FHIR_MAX_COUNT (${config.fhirMaxCount})` });
  }
  return config;
}

/** IOMT_PUBLIC_URL's default: the scheme follows TLS, so device token audiences match what devices connect to. */
export const defaultPublicUrl = (tls: boolean, port: number): string => `${tls ? 'https' : 'http'}://localhost:${port}`;

/** The URLs derived from the public base URL. */
export function derivedUrls(publicUrl: string): Pick<Config, 'publicUrl' | 'fhirBaseUrl' | 'ingestAudience' | 'devIssuerUrl'> {
  return {
    publicUrl,
    fhirBaseUrl: `${publicUrl}/fhir`,
    ingestAudience: `${publicUrl}/ingest`,
    devIssuerUrl: `${publicUrl}/dev-issuer`,
  };
}

/**
 * Who may issue access tokens. With IOMT_AUTH_ISSUER, exactly one key source; without one, the development
 * issuer must be on, or the API would accept no token at all.
 */
function resolveIssuer(config: Config, values: ReadonlyMap<string, unknown>, problems: ConfigProblem[]): void {
  const issuer = values.get('IOMT_AUTH_ISSUER') as string | undefined;
  const jwksUrl = values.get('IOMT_AUTH_JWKS_URL') as string | undefined;
  const jwksFile = values.get('IOMT_AUTH_JWKS_FILE') as string | undefined;
  const mode = (values.get('IOMT_DEV_ISSUER') as string | undefined) ?? 'auto';
  // Opaque tokens checked by introspection are a real issuer too (issue 5).
  const introspection = config.authIntrospection !== undefined;
  config.devIssuer = mode === 'on' || (mode === 'auto' && issuer === undefined && !introspection);
  if (issuer === undefined) {
    refuseUnused(values, ['IOMT_AUTH_JWKS_URL', 'IOMT_AUTH_JWKS_FILE'], 'IOMT_AUTH_ISSUER, which is not set', problems);
    if (!config.devIssuer && !introspection) {
      problems.push({ variable: 'IOMT_AUTH_ISSUER', reason: 'is required when IOMT_DEV_ISSUER=off (no token could be accepted)' });
    }
    return;
  }
  config.authIssuer = checkedUrl('IOMT_AUTH_ISSUER', issuer, problems);
  if ((jwksUrl === undefined) === (jwksFile === undefined)) {
    const reason = jwksUrl === undefined ? 'one of IOMT_AUTH_JWKS_URL and IOMT_AUTH_JWKS_FILE is required with IOMT_AUTH_ISSUER' : 'give only one of IOMT_AUTH_JWKS_URL and IOMT_AUTH_JWKS_FILE';
    problems.push({ variable: jwksUrl === undefined ? 'IOMT_AUTH_JWKS_URL' : 'IOMT_AUTH_JWKS_FILE', reason });
  }
  if (jwksUrl !== undefined) config.authJwksUrl = checkedJwksUrl(jwksUrl, problems);
  if (jwksFile !== undefined) config.authJwksFile = jwksFile;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Keys fetched over plain http could be swapped in transit: https, except on loopback (tests, sandbox). */
function checkedJwksUrl(value: string, problems: ConfigProblem[]): string {
  const url = checkedUrl('IOMT_AUTH_JWKS_URL', value, problems);
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed?.protocol === 'http:' && !LOOPBACK.has(parsed.hostname)) {
    problems.push({ variable: 'IOMT_AUTH_JWKS_URL', reason: 'must use https (http is allowed on loopback only)' });
  }
  return url;
}

/** An http(s) URL. */
function checkedUrl(variable: string, value: string, problems: ConfigProblem[]): string {
  const parsed = URL.canParse(value) ? new URL(value) : undefined;
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    problems.push({ variable, reason: `must be an http or https URL, got '${value}'` });
  }
  return value;
}

/** IOMT_PUBLIC_URL: http(s), no credentials, query or fragment; trailing slashes removed. */
function checkedBaseUrl(value: string, problems: ConfigProblem[]): string {
  const variable = 'IOMT_PUBLIC_URL';
  const url = checkedUrl(variable, value, problems);
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (value.includes('?') || value.includes('#')) {
    problems.push({ variable, reason: 'must not have a query or fragment' });
  } else if (parsed !== undefined && (parsed.username !== '' || parsed.password !== '')) {
    problems.push({ variable, reason: 'must not contain credentials' });
  }
  return url.replace(/\/+$/, '');
}
