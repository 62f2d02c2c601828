import type { Server } from '@hapi/hapi';
import { appDepsOf } from './app';
import { decodeJwt } from 'jose';
import pino, { type Logger } from 'pino';
import { readTlsCredentials, withListeningPort, type Config, type TlsCredentials } from './config';
import { unauthorized } from './errors/fhir-error';
import type { HttpSettings } from './http/deps';
import type { VerifyAccessToken } from './http/plugins/smart-auth';
import { createServer } from './http/server';
import { loadMappings } from './mapping';
import { watchMappings } from './mapping/watch';
import type { CompiledMapping } from './mapping/types';
import { createDelivery, loadOrCreateClientKey, type ClientKey } from './delivery';
import { createMetrics, type Metrics } from './ops/metrics';
import { mqttSettings, startMqtt, type RunningMqtt } from './mqtt';
import type { MappingRegistry } from './mapping/registry';
import { createAccessTokenVerifier, createIntrospectionVerifier, devIssuerJwks, jwksFromFile, jwksFromUrl, loadOrCreateDevIssuerKey } from './smart';
import { openPostgresStore, openSqliteStore } from './store';
import type { Store } from './store/port';
import { createValidator, loadDefinitions } from './validation';
import type { Validator } from './validation/port';

const VERSION: string = (require('../package.json') as { version: string }).version;

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  // Redaction is a second line of defence: nothing logs headers or tokens in the first place.
  return pino({ level: config.logLevel, base: { service: 'iomt-bridge' }, redact: ['*.authorization', '*.token', '*.privateJwk', '*.d', '*.postgres.url'] });
}

/** Mappings and profiles, compiled once; a bad file throws here and start-up stops (with file and line). */
export function compileEngines(
  config: Pick<Config, 'mappingsDir' | 'profilesDir'> & Partial<Pick<Config, 'validationAllowedExtensionDomains'>>,
): { mappings: CompiledMapping[]; validator: Validator } {
  return {
    mappings: loadMappings(config.mappingsDir),
    validator: createValidator(loadDefinitions({ profilesDir: config.profilesDir }), { allowedExtensionDomains: config.validationAllowedExtensionDomains }),
  };
}

/**
 * The configured store (IOMT_STORE). `serving`: the long-running bridge, whose SQLite hot writes go to a writer
 * thread (CLI commands need none). A PostgreSQL store that cannot be opened stops start-up naming the variable;
 * the message is node-postgres's, which never includes the password.
 */
export async function openStore(config: Pick<Config, 'store' | 'sqliteFile' | 'postgres'>, serving = false): Promise<Store> {
  if (config.store !== 'postgres') return openSqliteStore({ file: config.sqliteFile, writerThread: serving });
  if (config.postgres === undefined) throw new Error('IOMT_STORE=postgres needs IOMT_POSTGRES_URL');
  try {
    return await openPostgresStore(config.postgres);
  } catch (error) {
    // A host name with several addresses fails as an AggregateError, whose message is empty: its code says it.
    const reason = (error as Error).message || (error as { code?: string }).code || String(error);
    throw new Error(`IOMT_POSTGRES_URL: the PostgreSQL store could not be opened: ${reason}`, { cause: error });
  }
}

/**
 * One verifier per trusted issuer (the configured one and/or the development issuer); the token's
 * unverified `iss` only picks which verifier runs — the signature check is the verifier's.
 * `now` (epoch ms, default `Date.now`) lets tests freeze the clock the `exp`/`nbf`/`iat` checks use.
 */
export async function accessTokenVerifier(config: Config, now: () => number = Date.now): Promise<VerifyAccessToken> {
  const byIssuer = new Map<string, VerifyAccessToken>();
  const common = { audience: config.authAudience, algorithms: [...config.authAlgorithms], clockToleranceSeconds: config.clockToleranceS, now };
  if (config.authIssuer) {
    const keys = config.authJwksFile ? await jwksFromFile(config.authJwksFile) : jwksFromUrl(config.authJwksUrl ?? '');
    byIssuer.set(config.authIssuer, createAccessTokenVerifier({ ...common, issuer: config.authIssuer, keys }));
  }
  if (config.devIssuer) {
    const key = await loadOrCreateDevIssuerKey(config.dataDir);
    byIssuer.set(config.devIssuerUrl, createAccessTokenVerifier({ ...common, issuer: config.devIssuerUrl, keys: devIssuerJwks(key), algorithms: ['ES256'] }));
  }
  const introspect = introspectionVerifier(config, now);
  const only = byIssuer.size === 1 ? [...byIssuer.values()][0] : undefined;
  return async (token) => {
    // Opaque tokens (not a three-part JWS) go to RFC 7662 introspection when it is configured.
    if (introspect && (byIssuer.size === 0 || !/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token))) return introspect(token);
    if (only) return only(token);
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw unauthorized('ERR_ACCESS_TOKEN_MALFORMED', 'The access token is not a well-formed JWT');
    }
    const verify = typeof iss === 'string' ? byIssuer.get(iss) : undefined;
    if (!verify) throw unauthorized('ERR_ACCESS_TOKEN_ISSUER', 'The access token comes from an issuer this server does not trust');
    return verify(token);
  };
}

function introspectionVerifier(config: Config, now: () => number): VerifyAccessToken | undefined {
  const i = config.authIntrospection;
  if (i === undefined) return undefined;
  return createIntrospectionVerifier({
    url: i.url, clientId: i.clientId, clientSecret: i.clientSecret, cacheTtlMs: i.cacheTtlMs,
    audience: config.authAudience, issuer: config.authIssuer, clockToleranceSeconds: config.clockToleranceS, now,
  });
}

export function httpSettings(config: Config): HttpSettings {
  return {
    host: config.host, port: config.port, publicUrl: config.publicUrl, fhirBaseUrl: config.fhirBaseUrl,
    ingestAudience: config.ingestAudience, ingestMaxBytes: config.ingestMaxBytes, ingestMaxItems: config.ingestMaxItems,
    ingestMaxDepth: config.ingestMaxDepth, deviceTokenMaxLifetimeSeconds: config.deviceTokenMaxLifetimeS,
    clockToleranceSeconds: config.clockToleranceS, fhirDefaultCount: config.fhirDefaultCount,
    fhirMaxCount: config.fhirMaxCount, softwareVersion: VERSION,
    smart: { authorizeUrl: config.authAuthorizeUrl, tokenUrl: config.authTokenUrl, introspectionUrl: config.authIntrospection?.url },
  };
}

export interface RunningBridge {
  server: Server;
  store: Store;
  /** The effective configuration (with the real port when IOMT_PORT=0). */
  config: Config;
  /** The MQTT transport, unless IOMT_MQTT=off (`port`: the embedded broker's, real even with IOMT_MQTT_PORT=0). */
  mqtt?: RunningMqtt;
  stop: () => Promise<void>;
}

/** The composition root: config in, a listening bridge out. Everything below is built here and passed down. */
export async function startBridge(initial: Config, logger: Logger = createLogger(initial)): Promise<RunningBridge> {
  // Read once, before anything is opened: a bad certificate or key stops start-up with nothing to undo.
  const tls = tlsCredentials(initial, logger);
  const engines = compileEngines(initial);
  const store = await openStore(initial, true);
  // Hot reload: a changed mapping file is recompiled and swapped in; a broken one is refused, the old set stays.
  const watcher = watchMappings(initial.mappingsDir, {
    initial: engines.mappings,
    onReload: (r) => (r.ok ? logger.info({ mappings: r.ids }, 'mappings reloaded') : logger.error({ err: r.error.message }, 'mapping reload refused; the previous mappings stay in service')),
  });
  // What has started, stopped in reverse order: on stop, and when a later step of the start fails.
  const stops: Array<() => Promise<void>> = [async () => store.close(), async () => watcher.close()];
  const stopAll = async () => {
    for (const stopOne of stops.reverse().splice(0)) await stopOne();
  };
  try {
    let config = initial;
    const settings = httpSettings(config);
    let verify = await accessTokenVerifier(config);
    const clientKey = await loadOrCreateClientKey(config.dataDir, config.ehr?.clientAlg ?? 'ES384');
    const metrics = createMetrics();
    const server = await createServer({
      settings, store, ...engines, mappings: watcher.registry, verifyAccessToken: (token) => verify(token), logger, metrics, now: Date.now,
      clientJwks: { keys: [clientKey.publicJwk as Record<string, unknown>] },
      app: await appDepsOf(config), tls,
    });
    await server.start();
    const delivery = startDelivery(config, clientKey, store, metrics, logger);
    stops.push(async () => delivery?.stop(), async () => { await server.stop({ timeout: 10_000 }); });
    if (config.port === 0) {
      // The URLs (device token audience, FHIR base) depend on the port only known now.
      config = withListeningPort(config, Number(server.info.port));
      Object.assign(settings, httpSettings(config));
      verify = await accessTokenVerifier(config);
    }
    // After the port is known: messages a broker kept for us are verified against the final audience.
    const mqtt = await startMqttTransport(config, { settings, store, mappings: watcher.registry, validator: engines.validator, metrics, logger }, tls);
    // Stopped first: no new messages; those in flight are committed and acknowledged before the store closes.
    if (mqtt) stops.push(() => mqtt.close());
    logger.info({ url: server.info.uri, publicUrl: config.publicUrl, tls: tls !== undefined, mqtt: mqtt?.url, mappings: engines.mappings.map((m) => m.id), devIssuer: config.devIssuer }, 'listening');
    return { server, store, config, mqtt, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** IOMT_TLS_*: the certificate and key both listeners use (read and checked here, once), or none. */
function tlsCredentials(config: Config, logger: Logger): TlsCredentials | undefined {
  if (config.tls === undefined) return undefined;
  const { credentials, warnings } = readTlsCredentials(config.tls);
  for (const warning of warnings) logger.warn({ certFile: config.tls.certFile, keyFile: config.tls.keyFile }, warning);
  return credentials;
}

/** The MQTT transport (IOMT_MQTT): the embedded broker (over TLS when `tls` is given) or the external-broker client; none when off. */
async function startMqttTransport(
  config: Config,
  deps: { settings: HttpSettings; store: Store; mappings: MappingRegistry; validator: Validator; metrics: Metrics; logger: Logger },
  tls: TlsCredentials | undefined,
): Promise<RunningMqtt | undefined> {
  if (config.mqtt === undefined) return undefined;
  const logger = deps.logger.child({ stage: 'mqtt' });
  const mqtt = await startMqtt(config.mqtt, { ...deps, logger, now: Date.now, mqtt: mqttSettings(config.mqtt, config.ingestMaxBytes) }, tls);
  logger.info({ mode: mqtt.mode, url: mqtt.url, topicPrefix: config.mqtt.topicPrefix }, 'mqtt started');
  return mqtt;
}

/** The outbox worker when an EHR is configured (IOMT_EHR_BASE_URL); delivery is off otherwise. */
function startDelivery(config: Config, key: ClientKey, store: Store, metrics: ReturnType<typeof createMetrics>, logger: Logger) {
  if (config.ehr === undefined) return undefined;
  metrics.outbox.summary = () => store.outboxSummary();
  const worker = createDelivery({ config: config.ehr, key, store, metrics, logger: logger.child({ stage: 'delivery' }) });
  worker.start();
  logger.info({ ehr: config.ehr.baseUrl, batchSize: config.ehr.batchSize, concurrency: config.ehr.concurrency }, 'delivery started');
  return worker;
}

export { VERSION };
