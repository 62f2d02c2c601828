import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server, ServerInjectResponse } from '@hapi/hapi';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import pino from 'pino';
import { appDepsOf } from '../../src/app';
import { accessTokenVerifier, compileEngines, httpSettings } from '../../src/bridge';
import { loadConfig, type Config } from '../../src/config';
import { createServer } from '../../src/http/server';
import { mappingRegistry } from '../../src/mapping/registry';
import { signDeviceToken } from '../../src/ingest';
import { createMetrics, type Metrics } from '../../src/ops/metrics';
import { issueDevToken, loadOrCreateDevIssuerKey, type DevIssuerKey } from '../../src/smart';
import { openSqliteStore } from '../../src/store';
import type { Store } from '../../src/store/port';

/** Mappings and profiles are compiled once per test file and folder pair (as at boot); each bridge gets its own store. */
const engines = new Map<string, ReturnType<typeof compileEngines>>();

function enginesFor(config: Config): ReturnType<typeof compileEngines> {
  const key = `${config.mappingsDir}\n${config.profilesDir}`;
  let compiled = engines.get(key);
  if (!compiled) {
    compiled = compileEngines(config);
    engines.set(key, compiled);
  }
  return compiled;
}

export interface TestBridgeOptions {
  /** Clock (epoch ms) for the whole bridge: access-token and device-token checks, audit times, and the tokens the harness signs. */
  now?: () => number;
}

/** One structured log line as pino wrote it. */
export type LogLine = Record<string, unknown>;

export interface TestDevice {
  id: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface TestBridge {
  server: Server;
  store: Store;
  /** The compiled mappings and validator the server runs (for other transports built over the same bridge). */
  engines: ReturnType<typeof compileEngines>;
  config: Config;
  metrics: Metrics;
  dataDir: string;
  /** The bridge's clock. */
  now: () => number;
  /** The development issuer's key (undefined when IOMT_DEV_ISSUER=off), for crafting hostile tokens. */
  issuerKey: DevIssuerKey | undefined;
  /** Every log line written so far (level info and above). */
  logs: LogLine[];
  /** The stable error code of the last answered request (from its request log line), if it failed. */
  lastErrorCode(): string | undefined;
  /** Registers a device with a freshly generated ES256 key (never a committed one). */
  addDevice(id: string, patient?: string): Promise<TestDevice>;
  /** A token from the development issuer. */
  token(scope: string, patient?: string, options?: { lifetimeSeconds?: number; clientId?: string }): Promise<string>;
  /** POST /ingest[/{mapping}] signed as `device` over the exact body. */
  ingest(device: TestDevice, body: string | Buffer, options?: { contentType?: string; mapping?: string; token?: string; headers?: Record<string, string> }): Promise<ServerInjectResponse>;
  get(url: string, token?: string): Promise<ServerInjectResponse>;
  close(): Promise<void>;
}

/**
 * A whole bridge in-process: real config loader, real SQLite file in a temp folder, the real mappings and
 * profiles, the real token verifier — only the socket is replaced by `server.inject`.
 */
export async function createTestBridge(env: Record<string, string> = {}, { now = Date.now }: TestBridgeOptions = {}): Promise<TestBridge> {
  const dataDir = mkdtempSync(join(tmpdir(), 'iomt-test-'));
  const config = loadConfig({ IOMT_DATA_DIR: dataDir, IOMT_PORT: '8080', IOMT_LOG_LEVEL: 'silent', ...env });
  // The same adapter the composition root opens, on the bridge's clock (lastUpdated, registry times).
  const store = openSqliteStore({ file: config.sqliteFile, now: () => new Date(now()) });
  const metrics = createMetrics();
  const logs: LogLine[] = [];
  // Logs are kept, not discarded: tests read error codes from them and check no token is ever written.
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const server = await createServer({
    settings: httpSettings(config), store, ...enginesFor(config), mappings: mappingRegistry(enginesFor(config).mappings), verifyAccessToken: await accessTokenVerifier(config, now),
    logger, metrics, now, app: await appDepsOf(config),
  });
  await server.initialize();
  const issuerKey = config.devIssuer ? await loadOrCreateDevIssuerKey(dataDir) : undefined;
  return {
    server, store, engines: enginesFor(config), config, metrics, dataDir, now, issuerKey, logs,
    lastErrorCode() {
      const line = logs.filter((l) => l.msg === 'request').at(-1);
      return typeof line?.code === 'string' ? line.code : undefined;
    },
    async addDevice(id, patient) {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const publicJwk = await exportJWK(publicKey);
      await store.addDevice({ id, publicJwk: publicJwk as Record<string, unknown>, patient });
      return { id, privateJwk: await exportJWK(privateKey), publicJwk };
    },
    async token(scope, patient, tokenOptions = {}) {
      if (!issuerKey) throw new Error('dev issuer is off in this test bridge');
      return issueDevToken({ key: issuerKey, issuer: config.devIssuerUrl, audience: config.authAudience, scope, patient, now, ...tokenOptions });
    },
    async ingest(device, body, options = {}) {
      const token = options.token ?? await signDeviceToken({ privateJwk: device.privateJwk, deviceId: device.id, audience: config.ingestAudience, body, now });
      return server.inject({
        method: 'POST', url: options.mapping ? `/ingest/${options.mapping}` : '/ingest', payload: body,
        headers: { authorization: `Bearer ${token}`, 'content-type': options.contentType ?? 'application/json', ...options.headers },
      });
    },
    get(url, token) {
      return server.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
    },
    async close() {
      await server.stop();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
