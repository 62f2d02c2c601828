import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server, ServerInjectResponse } from '@hapi/hapi';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import pino from 'pino';
import { accessTokenVerifier, compileEngines, httpSettings, openStore } from '../../src/bridge';
import { loadConfig, type Config } from '../../src/config';
import { createServer } from '../../src/http/server';
import { signDeviceToken } from '../../src/ingest';
import { createMetrics, type Metrics } from '../../src/ops/metrics';
import { issueDevToken, loadOrCreateDevIssuerKey } from '../../src/smart';
import type { Store } from '../../src/store/port';

/** Mappings and profiles are compiled once per test file (as at boot); each bridge gets its own store. */
let engines: ReturnType<typeof compileEngines> | undefined;

export interface TestDevice {
  id: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface TestBridge {
  server: Server;
  store: Store;
  config: Config;
  metrics: Metrics;
  dataDir: string;
  /** Registers a device with a freshly generated ES256 key (never a committed one). */
  addDevice(id: string, patient?: string): Promise<TestDevice>;
  /** A token from the development issuer. */
  token(scope: string, patient?: string): Promise<string>;
  /** POST /ingest[/{mapping}] signed as `device` over the exact body. */
  ingest(device: TestDevice, body: string | Buffer, options?: { contentType?: string; mapping?: string; token?: string; headers?: Record<string, string> }): Promise<ServerInjectResponse>;
  get(url: string, token?: string): Promise<ServerInjectResponse>;
  close(): Promise<void>;
}

/**
 * A whole bridge in-process: real config loader, real SQLite file in a temp folder, the real mappings and
 * profiles, the real token verifier — only the socket is replaced by `server.inject`.
 */
export async function createTestBridge(env: Record<string, string> = {}): Promise<TestBridge> {
  const dataDir = mkdtempSync(join(tmpdir(), 'iomt-test-'));
  const config = loadConfig({ IOMT_DATA_DIR: dataDir, IOMT_PORT: '8080', IOMT_LOG_LEVEL: 'silent', ...env });
  engines ??= compileEngines(config);
  const store = openStore(config);
  const metrics = createMetrics();
  const server = await createServer({
    settings: httpSettings(config), store, ...engines, verifyAccessToken: await accessTokenVerifier(config),
    logger: pino({ level: 'silent' }), metrics, now: Date.now,
  });
  await server.initialize();
  const issuerKey = config.devIssuer ? await loadOrCreateDevIssuerKey(dataDir) : undefined;
  return {
    server, store, config, metrics, dataDir,
    async addDevice(id, patient) {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const publicJwk = await exportJWK(publicKey);
      await store.addDevice({ id, publicJwk: publicJwk as Record<string, unknown>, patient });
      return { id, privateJwk: await exportJWK(privateKey), publicJwk };
    },
    async token(scope, patient) {
      if (!issuerKey) throw new Error('dev issuer is off in this test bridge');
      return issueDevToken({ key: issuerKey, issuer: config.devIssuerUrl, audience: config.authAudience, scope, patient });
    },
    async ingest(device, body, options = {}) {
      const token = options.token ?? await signDeviceToken({ privateJwk: device.privateJwk, deviceId: device.id, audience: config.ingestAudience, body });
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
