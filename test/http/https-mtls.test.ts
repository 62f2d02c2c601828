import { once } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import pino from 'pino';
import type { AuditEvent } from 'fhir/r4';
import { startBridge, type RunningBridge } from '../../src/bridge';
import { loadConfig } from '../../src/config';
import { certificateThumbprint, signDeviceToken, type IngestSummary } from '../../src/ingest';
import { createDeviceCaFixture, createTlsFixture, type DeviceCaFixture, type DeviceCertificate, type TlsFixture } from '../support/tls-fixture';
import { auditHead, auditSince, example, storedCounts } from './helpers';

/**
 * Device authentication by mTLS client certificate on HTTPS ingest (IOMT_TLS_CLIENT_CA_FILE), over real loopback
 * sockets: the whole bridge (startBridge), a throwaway device CA, certificates it signs (registered, unregistered,
 * expired), one of another CA, and JWT devices on the same listener. SECURITY-CASES 17, 18.
 */

let fx: TlsFixture;
let devices: DeviceCaFixture;
let dataDir: string;
let bridge: RunningBridge;
let port: number;

beforeAll(async () => {
  fx = createTlsFixture();
  devices = createDeviceCaFixture();
  dataDir = mkdtempSync(join(tmpdir(), 'iomt-mtls-'));
  bridge = await startBridge(loadConfig({
    IOMT_DATA_DIR: dataDir, IOMT_PORT: '0', IOMT_MQTT: 'off', IOMT_LOG_LEVEL: 'silent',
    IOMT_TLS_CERT_FILE: fx.certFile, IOMT_TLS_KEY_FILE: fx.keyFile, IOMT_TLS_CLIENT_CA_FILE: devices.caFile,
  }), pino({ level: 'silent' }));
  port = Number(bridge.server.info.port);
});
afterAll(async () => {
  await bridge?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  fx?.cleanup();
  devices?.cleanup();
});

const thumbprintOf = (cert: DeviceCertificate): string => certificateThumbprint(new X509Certificate(cert.cert).raw);

interface Answer { status: number; body: Record<string, unknown> }

/** POST /ingest over HTTPS, presenting `cert` (or no client certificate), on a fresh connection each time. */
async function post(body: string, options: { cert?: DeviceCertificate; token?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
  const req = request({
    host: '127.0.0.1', port, path: '/ingest', method: 'POST', headers, ca: fx.ca, agent: false,
    ...(options.cert ? { cert: options.cert.cert, key: options.cert.key } : {}),
  });
  req.end(body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return { status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> };
}

async function jwtDevice(id: string, extra: { certThumbprint?: string } = {}): Promise<JWK> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  await bridge.store.addDevice({ id, publicJwk: (await exportJWK(publicKey)) as Record<string, unknown>, patient: 'Patient/example', ...extra });
  return exportJWK(privateKey);
}

/** The refusal's code is in the audit entry (outcomeDesc), its device the agent; nothing is stored. */
async function expectRefused(send: () => Promise<Answer>, status: number, code: string, device = 'unauthenticated'): Promise<void> {
  const before = await storedCounts(bridge.store);
  const seq = await auditHead(bridge.store);
  const answer = await send();
  expect({ status: answer.status, resourceType: answer.body.resourceType }).toEqual({ status, resourceType: 'OperationOutcome' });
  expect(await storedCounts(bridge.store)).toEqual(before);
  const events: AuditEvent[] = await auditSince(bridge.store, seq);
  expect(events).toEqual([expect.objectContaining({ outcome: '4', outcomeDesc: expect.stringContaining(code) })]);
  expect(events[0]?.agent[0]?.who?.identifier?.value).toBe(device);
}

const reading = (): string => example('pulse-oximeter', 'with-message-id.json');

describe('HTTPS ingest authenticated by client certificate', () => {
  it('a registered certificate and no Authorization header → 202, stored, audited as that device', async () => {
    const cert = devices.issue('mtls-1');
    await bridge.store.addDevice({ id: 'mtls-1', certThumbprint: thumbprintOf(cert), patient: 'Patient/example' });
    const seq = await auditHead(bridge.store);
    const answer = await post(reading(), { cert });
    expect(answer.status).toBe(202);
    const summary = answer.body as unknown as IngestSummary;
    const observation = summary.results[0]!.resources!.find((r) => r.startsWith('Observation/'))!;
    expect(await bridge.store.read('Observation', observation.slice('Observation/'.length))).toMatchObject({
      resourceType: 'Observation', device: { reference: 'Device/mtls-1' },
    });
    const [event] = await auditSince(bridge.store, seq);
    expect({ outcome: event?.outcome, who: event?.agent[0]?.who?.identifier?.value }).toEqual({ outcome: '0', who: 'mtls-1' });
  });

  it('a resend of the same body (no jti with mTLS) is accepted again and writes nothing new: deterministic identifiers', async () => {
    const cert = devices.issue('mtls-2');
    await bridge.store.addDevice({ id: 'mtls-2', certThumbprint: thumbprintOf(cert), patient: 'Patient/example' });
    const body = reading();
    const first = await post(body, { cert });
    expect(first.status).toBe(202);
    const { written } = first.body.resources as { written: number };
    const before = await storedCounts(bridge.store);
    const again = await post(body, { cert });
    expect({ status: again.status, summary: again.body.status, resources: again.body.resources }).toEqual({ status: 202, summary: 'accepted', resources: { written: 0, unchanged: written } });
    expect(await storedCounts(bridge.store)).toEqual(before);
  });

  it('a certificate of the device CA registered for no device → 401', async () => {
    const cert = devices.issue('mtls-unregistered');
    await expectRefused(() => post(reading(), { cert }), 401, 'ERR_DEVICE_CERT_UNKNOWN');
  });

  it('a certificate of another CA → 401, even when its thumbprint is registered', async () => {
    const cert = devices.issueByOtherCa('mtls-other');
    await bridge.store.addDevice({ id: 'mtls-other', certThumbprint: thumbprintOf(cert), patient: 'Patient/example' });
    await expectRefused(() => post(reading(), { cert }), 401, 'ERR_DEVICE_CERT_UNTRUSTED');
  });

  it('an expired certificate of the device CA → 401, even when registered', async () => {
    const cert = devices.issue('mtls-expired', -1);
    await bridge.store.addDevice({ id: 'mtls-expired', certThumbprint: thumbprintOf(cert), patient: 'Patient/example' });
    await expectRefused(() => post(reading(), { cert }), 401, 'ERR_DEVICE_CERT_UNTRUSTED');
  });

  it('a revoked device → 403, audited as the device', async () => {
    const cert = devices.issue('mtls-revoked');
    await bridge.store.addDevice({ id: 'mtls-revoked', certThumbprint: thumbprintOf(cert), patient: 'Patient/example' });
    expect((await post(reading(), { cert })).status).toBe(202);
    await bridge.store.revokeDevice('mtls-revoked');
    await expectRefused(() => post(reading(), { cert }), 403, 'ERR_DEVICE_REVOKED', 'mtls-revoked');
  });

  it('neither a certificate nor a token → 401 (the token is missing)', async () => {
    await expectRefused(() => post(reading()), 401, 'ERR_DEVICE_TOKEN_MISSING');
  });
});

describe('JWT devices on the same listener, and both credentials at once', () => {
  it('a JWT device without a client certificate → 202', async () => {
    const privateJwk = await jwtDevice('mtls-jwt-1');
    const body = reading();
    const token = await signDeviceToken({ privateJwk, deviceId: 'mtls-jwt-1', audience: bridge.config.ingestAudience, body });
    expect((await post(body, { token })).status).toBe(202);
  });

  it('a token and a certificate of the same device → 202; of different devices → 401, audited as the token\'s device', async () => {
    const cert = devices.issue('mtls-both');
    const privateJwk = await jwtDevice('mtls-both', { certThumbprint: thumbprintOf(cert) });
    const body = reading();
    const token = await signDeviceToken({ privateJwk, deviceId: 'mtls-both', audience: bridge.config.ingestAudience, body });
    expect((await post(body, { token, cert })).status).toBe(202);

    const otherCert = devices.issue('mtls-someone-else');
    await bridge.store.addDevice({ id: 'mtls-someone-else', certThumbprint: thumbprintOf(otherCert), patient: 'Patient/example' });
    const body2 = example('thermometer', 'with-message-id.json');
    const token2 = await signDeviceToken({ privateJwk, deviceId: 'mtls-both', audience: bridge.config.ingestAudience, body: body2 });
    await expectRefused(() => post(body2, { token: token2, cert: otherCert }), 401, 'ERR_DEVICE_CERT_MISMATCH', 'mtls-both');
    // A trusted certificate registered for nobody names no device either.
    const token3 = await signDeviceToken({ privateJwk, deviceId: 'mtls-both', audience: bridge.config.ingestAudience, body: body2 });
    await expectRefused(() => post(body2, { token: token3, cert: devices.issue('mtls-nobody') }), 401, 'ERR_DEVICE_CERT_MISMATCH', 'mtls-both');
  });

  it('a token of a certificate-only device is refused: it has no key', async () => {
    const cert = devices.issue('mtls-cert-only');
    await bridge.store.addDevice({ id: 'mtls-cert-only', certThumbprint: thumbprintOf(cert), patient: 'Patient/example' });
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const body = reading();
    const token = await signDeviceToken({ privateJwk: await exportJWK(privateKey), deviceId: 'mtls-cert-only', audience: bridge.config.ingestAudience, body });
    await expectRefused(() => post(body, { token }), 401, 'ERR_DEVICE_TOKEN_SIGNATURE');
  });
});
