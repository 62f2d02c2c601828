import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import { connectAsync } from 'mqtt';
import pino from 'pino';
import { startBridge, type RunningBridge } from '../../src/bridge';
import { loadConfig } from '../../src/config';
import { signDeviceToken } from '../../src/ingest';
import { signConnectToken } from '../../src/cli/commands/send-mqtt';
import { outcomesTopic } from '../../src/mqtt';
import { createTlsFixture, type TlsFixture } from '../support/tls-fixture';
import { example } from './helpers';

/**
 * The whole bridge (startBridge) with IOMT_TLS_* set, over real loopback sockets: HTTPS and MQTT over TLS with one
 * certificate, TLS 1.3 only, and the derived URLs (device token audience) on https. `iomt-bridge send` (dist/,
 * spawned: `npm run build` first) trusts the bridge's private CA through NODE_EXTRA_CA_CERTS.
 */

let fx: TlsFixture;
let dataDir: string;
let bridge: RunningBridge;
let port: number;
/** Short, so the unfinished-handshake case closes quickly; loopback handshakes of the other cases take milliseconds. */
const HANDSHAKE_TIMEOUT_MS = 2000;

beforeAll(async () => {
  fx = createTlsFixture();
  dataDir = mkdtempSync(join(tmpdir(), 'iomt-https-'));
  const config = loadConfig({
    IOMT_DATA_DIR: dataDir, IOMT_PORT: '0', IOMT_MQTT_PORT: '0', IOMT_LOG_LEVEL: 'silent', IOMT_TLS_CERT_FILE: fx.certFile, IOMT_TLS_KEY_FILE: fx.keyFile,
    IOMT_TLS_HANDSHAKE_TIMEOUT_MS: String(HANDSHAKE_TIMEOUT_MS),
  });
  bridge = await startBridge(config, pino({ level: 'silent' }));
  port = Number(bridge.server.info.port);
});
afterAll(async () => {
  await bridge?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  fx.cleanup();
});

/** One HTTPS request to the bridge on 127.0.0.1 (the certificate names it), with the throwaway CA trusted. */
async function https(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string; protocol: string | null; headers: import('node:http').IncomingHttpHeaders }> {
  const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, ca: fx.ca });
  req.end(options.body);
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  const protocol = (res.socket as TLSSocket).getProtocol(); // read now: the socket is released once the body is read
  let body = '';
  for await (const chunk of res) body += String(chunk);
  return { status: res.statusCode ?? 0, body, protocol, headers: res.headers };
}

/** A raw TLS handshake; resolves with the negotiated protocol, rejects with the handshake error. */
async function handshake(targetPort: number, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<string | null> {
  const socket = tlsConnect({ host: '127.0.0.1', port: targetPort, ca: fx.ca, maxVersion });
  try {
    await once(socket, 'secureConnect');
    return socket.getProtocol();
  } finally {
    socket.destroy();
  }
}

describe('HTTPS with IOMT_TLS_CERT_FILE and IOMT_TLS_KEY_FILE', () => {
  it('derives https URLs from the bound port: public URL, FHIR base, device token audience', () => {
    expect(bridge.config).toMatchObject({ publicUrl: `https://localhost:${port}`, fhirBaseUrl: `https://localhost:${port}/fhir`, ingestAudience: `https://localhost:${port}/ingest` });
    expect(bridge.server.info.protocol).toBe('https');
  });

  it('answers GET /fhir/metadata over TLS 1.3 to a client trusting the certificate', async () => {
    const res = await https('/fhir/metadata');
    expect({ status: res.status, protocol: res.protocol }).toEqual({ status: 200, protocol: 'TLSv1.3' });
    expect(JSON.parse(res.body)).toMatchObject({ resourceType: 'CapabilityStatement', implementation: { url: `https://localhost:${port}/fhir` } });
  });

  it('sends Strict-Transport-Security: max-age=31536000 on its answers, errors included', async () => {
    expect((await https('/fhir/metadata')).headers['strict-transport-security']).toBe('max-age=31536000');
    const refused = await https('/ingest', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect({ status: refused.status, hsts: refused.headers['strict-transport-security'] }).toEqual({ status: 401, hsts: 'max-age=31536000' });
  });

  it('refuses a client limited to TLS 1.2 at the handshake', async () => {
    await expect(handshake(port, 'TLSv1.2')).rejects.toMatchObject({ code: expect.stringMatching(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/) });
  });

  it('closes a connection whose client never finishes its TLS handshake (IOMT_TLS_HANDSHAKE_TIMEOUT_MS)', async () => {
    // A client that connects and sends nothing holds a socket until the handshake timeout (Node's default: 120 s).
    const socket = netConnect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    const opened = process.hrtime.bigint();
    await once(socket, 'close');
    const heldMs = Number(process.hrtime.bigint() - opened) / 1e6;
    expect(socket.bytesRead).toBe(0);
    // Closed by the bridge's timeout, not by anything else: not before it.
    expect(heldMs).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 50);
  });

  it('accepts a reading whose device token audience is the https one', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    await bridge.store.addDevice({ id: 'tls-dev-1', publicJwk: (await exportJWK(publicKey)) as Record<string, unknown>, patient: 'Patient/example' });
    const body = example('pulse-oximeter', 'with-message-id.json');
    const token = await signDeviceToken({ privateJwk: await exportJWK(privateKey), deviceId: 'tls-dev-1', audience: bridge.config.ingestAudience, body });
    const res = await https('/ingest', { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    expect(res.status).toBe(202);
  });
});

describe('a bad pair stops start-up', () => {
  it('startBridge rejects with the ConfigError naming the key file, before the store is opened or anything listens', async () => {
    const otherDataDir = mkdtempSync(join(tmpdir(), 'iomt-https-bad-'));
    try {
      const config = loadConfig({ IOMT_DATA_DIR: otherDataDir, IOMT_PORT: '0', IOMT_MQTT: 'off', IOMT_LOG_LEVEL: 'silent', IOMT_TLS_CERT_FILE: fx.certFile, IOMT_TLS_KEY_FILE: fx.otherKeyFile });
      await expect(startBridge(config, pino({ level: 'silent' }))).rejects.toMatchObject({
        code: 'ERR_CONFIG_INVALID', problems: [{ variable: 'IOMT_TLS_KEY_FILE', reason: `${fx.otherKeyFile} is not the private key of the certificate in ${fx.certFile}` }],
      });
      expect(existsSync(join(otherDataDir, 'iomt-bridge.db'))).toBe(false);
    } finally {
      rmSync(otherDataDir, { recursive: true, force: true });
    }
  });
});

describe('the embedded broker with the same certificate', () => {
  it('listens mqtts:// and refuses a TLS 1.2-only client at the handshake', async () => {
    expect(bridge.mqtt?.url).toBe(`mqtts://127.0.0.1:${bridge.mqtt?.port}`);
    await expect(handshake(bridge.mqtt!.port!, 'TLSv1.3')).resolves.toBe('TLSv1.3');
    await expect(handshake(bridge.mqtt!.port!, 'TLSv1.2')).rejects.toMatchObject({ code: expect.stringMatching(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/) });
  });

  it('takes a QoS 1 reading from an mqtt.js device over mqtts://, answered on its outcomes topic', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    await bridge.store.addDevice({ id: 'tls-dev-2', publicJwk: (await exportJWK(publicKey)) as Record<string, unknown>, patient: 'Patient/example' });
    const client = await connectAsync(bridge.mqtt!.url, {
      protocolVersion: 4, clientId: 'tls-dev-2', username: 'tls-dev-2', password: await signConnectToken(privateJwk, 'tls-dev-2', bridge.config.publicUrl), reconnectPeriod: 0, ca: fx.ca,
    }, false);
    try {
      await client.subscribeAsync(outcomesTopic('iomt', 'tls-dev-2'), { qos: 1 });
      const answer = new Promise<{ status: number }>((resolve) => { client.once('message', (_t, payload) => resolve(JSON.parse(String(payload)) as { status: number })); });
      const body = example('thermometer', 'with-message-id.json');
      const token = await signDeviceToken({ privateJwk, deviceId: 'tls-dev-2', audience: bridge.config.ingestAudience, body });
      await client.publishAsync('iomt/devices/tls-dev-2/ingest', Buffer.from(`${token}\n${body}`), { qos: 1 });
      expect((client.stream as TLSSocket).getProtocol()).toBe('TLSv1.3');
      expect((await answer).status).toBe(202);
    } finally {
      await client.endAsync();
    }
  });
});

describe('iomt-bridge send to an https bridge (spawned from dist/)', () => {
  const run = promisify(execFile);
  const cli = join(__dirname, '..', '..', 'bin', 'iomt-bridge.js');

  async function send(args: string[], extraCa: boolean): Promise<{ code: number; out: string; err: string }> {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, IOMT_DATA_DIR: dataDir, IOMT_LOG_LEVEL: 'silent', ...(extraCa ? { NODE_EXTRA_CA_CERTS: fx.certFile } : {}) };
    try {
      const { stdout, stderr } = await run(process.execPath, [cli, 'send', ...args], { env });
      return { code: 0, out: stdout, err: stderr };
    } catch (e) {
      const failed = e as { code: number; stdout: string; stderr: string };
      return { code: failed.code, out: failed.stdout, err: failed.stderr };
    }
  }

  it('posts over HTTPS and publishes over mqtts:// when NODE_EXTRA_CA_CERTS names the CA; without it the certificate is not trusted', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    await bridge.store.addDevice({ id: 'tls-dev-3', publicJwk: (await exportJWK(publicKey)) as Record<string, unknown>, patient: 'Patient/example' });
    const keyFile = join(dataDir, 'tls-dev-3.key.json');
    writeFileSync(keyFile, JSON.stringify(await exportJWK(privateKey)), { mode: 0o600 });
    const input = join(__dirname, '..', '..', 'mappings', 'thermometer', 'examples', 'with-message-id.json');
    const common = ['--device', 'tls-dev-3', '--key', keyFile, '--input', input, '--url', bridge.config.publicUrl];
    const http = await send(common, true);
    expect(http).toMatchObject({ code: 0, out: expect.stringMatching(/^202 /) });
    const mqtt = await send([...common, '--mqtt', bridge.mqtt!.url], true);
    expect(mqtt.code).toBe(0);
    expect(JSON.parse(mqtt.out)).toMatchObject({ status: 202 });
    const untrusted = await send(common, false);
    expect(untrusted).toMatchObject({ code: 1, err: expect.stringContaining('SELF_SIGNED') });
  });
});
