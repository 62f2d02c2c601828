import { gzipSync } from 'node:zlib';
import type { ServerInjectResponse } from '@hapi/hapi';
import type { Device, Observation } from 'fhir/r4';
import { signDeviceToken } from '../../src/ingest';
import { createTestBridge, type TestBridge, type TestDevice } from '../support/test-bridge';
import { auditHead, auditSince, example, exampleObject, expectOutcome, expressionsOf, storedCounts } from './helpers';

/**
 * SECURITY-CASES 17, 19–21, 25, 31–35, 43, 44 on POST /ingest, plus device authentication refusals:
 * each refused with its status and an OperationOutcome, nothing written, and a failure audit entry.
 */

const NOW_MS = Date.UTC(2025, 0, 15, 10, 0, 0);
const MAX_BYTES = 512 * 1024;

let bridge: TestBridge;
let oxiA: TestDevice;
let oxiB: TestDevice;

beforeEach(async () => {
  bridge = await createTestBridge({ IOMT_INGEST_MAX_BYTES: String(MAX_BYTES) }, { now: () => NOW_MS });
  oxiA = await bridge.addDevice('oxi-a', 'Patient/A');
  oxiB = await bridge.addDevice('oxi-b', 'Patient/B');
});
afterEach(() => bridge.close());

/** The example as its file spells it (pretty-printed), for byte-level edits. */
const pretty = () => example('pulse-oximeter', 'with-message-id.json');
const reading = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ ...exampleObject('pulse-oximeter', 'with-message-id.json'), ...overrides });

/**
 * Sends `send()` and expects a refusal: `status`, an OperationOutcome, nothing stored, and exactly one
 * failure AuditEvent naming `code` and the device the credential proved (or `unauthenticated`).
 */
async function expectRefused(send: () => Promise<ServerInjectResponse>, status: number, code: string, device = 'unauthenticated') {
  const before = await storedCounts(bridge.store);
  const seq = await auditHead(bridge.store);
  const res = await send();
  const outcome = expectOutcome(res, status);
  expect(bridge.lastErrorCode()).toBe(code);
  expect(await storedCounts(bridge.store)).toEqual(before);
  const [event, ...more] = await auditSince(bridge.store, seq);
  expect(more).toEqual([]);
  expect(event).toMatchObject({ type: { code: '110107' }, outcome: '4', outcomeDesc: expect.stringContaining(code) });
  expect(event?.agent[0]?.who?.identifier?.value).toBe(device);
  return outcome;
}

const sign = (device: TestDevice, body: string | Buffer, options: { audience?: string; lifetimeSeconds?: number; jti?: string; iss?: string } = {}) =>
  signDeviceToken({
    privateJwk: device.privateJwk, deviceId: options.iss ?? device.id, audience: options.audience ?? bridge.config.ingestAudience,
    body, now: bridge.now, lifetimeSeconds: options.lifetimeSeconds, jti: options.jti,
  });

describe('device authentication', () => {
  it('missing token → 401', async () => {
    const send = () => bridge.server.inject({ method: 'POST', url: '/ingest', payload: reading(), headers: { 'content-type': 'application/json' } });
    const res = await send();
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    await expectRefused(send, 401, 'ERR_DEVICE_TOKEN_MISSING');
  });

  it('unknown device → 401', async () => {
    const stranger = { ...oxiA, id: 'oxi-unregistered' };
    await expectRefused(() => bridge.ingest(stranger, reading()), 401, 'ERR_DEVICE_UNKNOWN');
  });

  it('revoked device → 403, only after its signature verified', async () => {
    await bridge.store.revokeDevice('oxi-a');
    await expectRefused(() => bridge.ingest(oxiA, reading()), 403, 'ERR_DEVICE_REVOKED', 'oxi-a');
    // A forged token naming the revoked device learns nothing more than "bad signature".
    const body = reading();
    await expectRefused(async () => bridge.ingest(oxiA, body, { token: await sign(oxiB, body, { iss: 'oxi-a' }) }), 401, 'ERR_DEVICE_TOKEN_SIGNATURE');
  });

  it.each([
    ['the FHIR base', () => bridge.config.fhirBaseUrl],
    ['a mapping path', () => `${bridge.config.ingestAudience}/pulse-oximeter`],
    ['another bridge', () => 'https://other.example.org/ingest'],
  ])('aud of %s → 401', async (_name, audience) => {
    const body = reading();
    await expectRefused(async () => bridge.ingest(oxiA, body, { token: await sign(oxiA, body, { audience: audience() }) }), 401, 'ERR_DEVICE_TOKEN_AUDIENCE');
  });

  it('device B signing as device A → 401', async () => {
    const body = reading();
    await expectRefused(async () => bridge.ingest(oxiA, body, { token: await sign(oxiB, body, { iss: 'oxi-a' }) }), 401, 'ERR_DEVICE_TOKEN_SIGNATURE');
  });

  it('a token living longer than 5 minutes → 401', async () => {
    const body = reading();
    await expectRefused(async () => bridge.ingest(oxiA, body, { token: await sign(oxiA, body, { lifetimeSeconds: 3600 }) }), 401, 'ERR_DEVICE_TOKEN_LIFETIME', 'oxi-a');
  });

  it('a SMART access token on ingest → 401 (case 25)', async () => {
    const token = await bridge.token('system/*.*');
    await expectRefused(() => bridge.ingest(oxiA, reading(), { token }), 401, 'ERR_DEVICE_TOKEN_TYPE');
  });

  it('44: a valid token reused with another body → 401', async () => {
    const body = reading();
    const token = await sign(oxiA, body);
    await expectRefused(() => bridge.ingest(oxiA, reading({ spo2: 80 }), { token }), 401, 'ERR_DEVICE_TOKEN_BODY_HASH', 'oxi-a');
    await expectRefused(() => bridge.ingest(oxiA, `${body}\n`, { token }), 401, 'ERR_DEVICE_TOKEN_BODY_HASH', 'oxi-a');
    expect((await bridge.ingest(oxiA, body, { token })).statusCode).toBe(202); // the right body still goes through
  });
});

describe('43: replay', () => {
  it('the same signed request twice: 202 both times, stored once', async () => {
    const body = reading();
    const token = await sign(oxiA, body);
    const first = await bridge.ingest(oxiA, body, { token });
    expect(first.statusCode).toBe(202);
    const after = await storedCounts(bridge.store);
    expect(after).toEqual({ resources: 3, outbox: 3, jti: 1 });
    const second = await bridge.ingest(oxiA, body, { token });
    expect(second.statusCode).toBe(202);
    expect(JSON.parse(second.payload)).toMatchObject({ status: 'replayed', items: { accepted: 0 } });
    expect(await storedCounts(bridge.store)).toEqual(after);
  });

  it('the same signed request twice at once: both 202, stored once', async () => {
    const body = reading();
    const token = await sign(oxiA, body);
    const answers = await Promise.all([bridge.ingest(oxiA, body, { token }), bridge.ingest(oxiA, body, { token })]);
    expect(answers.map((r) => r.statusCode)).toEqual([202, 202]);
    expect(answers.map((r) => JSON.parse(r.payload).status).sort()).toEqual(['accepted', 'replayed']);
    expect(await storedCounts(bridge.store)).toEqual({ resources: 3, outbox: 3, jti: 1 });
  });

  it('the same payload with a new token: 202, nothing new stored (deterministic ids)', async () => {
    const body = reading();
    expect((await bridge.ingest(oxiA, body)).statusCode).toBe(202);
    const second = await bridge.ingest(oxiA, body);
    expect(second.statusCode).toBe(202);
    expect(JSON.parse(second.payload).resources).toEqual({ written: 0, unchanged: 3 });
    expect(await storedCounts(bridge.store)).toEqual({ resources: 3, outbox: 3, jti: 2 });
  });
});

describe('17 and 19: identity and server-owned fields come from the bridge', () => {
  it('17: device A naming device B in the body is stored as A', async () => {
    const body = reading({ deviceId: 'oxi-b', iss: 'oxi-b', device: { serial: 'PO-B-0001', manufacturer: 'Acme Medical', model: 'OxiClip 300', firmware: '2.4.1' }, patient: 'Patient/B' });
    expect((await bridge.ingest(oxiA, body)).statusCode).toBe(202);
    const token = await bridge.token('system/*.rs');
    const device = JSON.parse((await bridge.get('/fhir/Device/oxi-a', token)).payload) as Device;
    expect(device.patient?.reference).toBe('Patient/A');
    expect((await bridge.get('/fhir/Device/oxi-b', token)).statusCode).toBe(404);
    const bundle = JSON.parse((await bridge.get('/fhir/Observation', token)).payload);
    const observations = bundle.entry.map((e: { resource: Observation }) => e.resource) as Observation[];
    expect(observations.length).toBe(2);
    for (const o of observations) expect([o.device?.reference, o.subject?.reference]).toEqual(['Device/oxi-a', 'Patient/A']);
    expect(JSON.parse((await bridge.get('/fhir/Observation?device=oxi-b', token)).payload).total).toBe(0);
    const [audit] = (await bridge.store.listAudit()).map((r) => r.event);
    expect(audit?.agent[0]?.who?.identifier?.value).toBe('oxi-a');
  });

  it('19: client-set id, meta and status are ignored', async () => {
    const body = reading({
      id: 'attacker-chosen', resourceType: 'Observation', status: 'entered-in-error',
      meta: { versionId: '99', lastUpdated: '1999-01-01T00:00:00Z', security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'U' }] },
    });
    const res = await bridge.ingest(oxiA, body);
    expect(res.statusCode).toBe(202);
    const token = await bridge.token('system/*.rs');
    expect((await bridge.get('/fhir/Observation/attacker-chosen', token)).statusCode).toBe(404);
    const refs = JSON.parse(res.payload).results[0].resources as string[];
    for (const ref of refs) {
      const resource = JSON.parse((await bridge.get(`/fhir/${ref}`, token)).payload) as Observation | Device;
      expect(resource.meta).toMatchObject({ versionId: '1', lastUpdated: new Date(NOW_MS).toISOString() });
      expect(resource.meta?.security).toBeUndefined();
      expect(resource.status).toBe(resource.resourceType === 'Device' ? 'active' : 'final');
    }
  });
});

describe('body limits and parsing', () => {
  it('20: a body over IOMT_INGEST_MAX_BYTES → 413', async () => {
    const big = reading({ padding: 'x'.repeat(MAX_BYTES) });
    const outcome = await expectRefused(() => bridge.ingest(oxiA, big), 413, 'ERR_HTTP_413');
    expect(outcome.issue[0]?.code).toBe('too-long');
  });

  it.each([
    ['21 nesting 10,000 deep', () => `${'['.repeat(10_000)}${']'.repeat(10_000)}`, 'ERR_JSON_TOO_DEEP'],
    ['21 nesting 10,000 deep inside a reading', () => pretty().replace('"spo2"', `"deep":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)},"spo2"`), 'ERR_JSON_TOO_DEEP'],
    ['21 array of 100,000 items', () => `[${Array(100_000).fill('{}').join(',')}]`, 'ERR_JSON_TOO_MANY_ITEMS'],
    ['21 array of 100,000 numbers in a reading', () => reading({ samples: Array(100_000).fill(0) }).replace(/\s/g, ''), 'ERR_JSON_TOO_MANY_ITEMS'],
    ['31 __proto__', () => '{"__proto__": {"isAdmin": true}, "type": "pulse-oximeter"}', 'ERR_JSON_FORBIDDEN_KEY'],
    ['31 constructor.prototype', () => '{"constructor": {"prototype": {"isAdmin": true}}}', 'ERR_JSON_FORBIDDEN_KEY'],
    ['32 duplicate keys', () => pretty().replace('"spo2": 97', '"spo2": 97, "spo2": 999'), 'ERR_JSON_DUPLICATE_KEY'],
    ['33 1e400', () => pretty().replace('"spo2": 97', '"spo2": 1e400'), 'ERR_JSON_NUMBER_PRECISION'],
    ['33 9007199254740993', () => pretty().replace('"spo2": 97', '"spo2": 9007199254740993'), 'ERR_JSON_NUMBER_PRECISION'],
    ['34 lone surrogate', () => pretty().replace('"po-000123"', '"po-\\ud800"'), 'ERR_JSON_LONE_SURROGATE'],
    ['34 raw NUL', () => pretty().replace('"po-000123"', '"po-\u0000"'), 'ERR_JSON_CONTROL_CHARACTER'],
    ['34 escaped NUL', () => pretty().replace('"po-000123"', '"po-\\u0000"'), 'ERR_JSON_CONTROL_CHARACTER'],
    ['34 raw control character', () => pretty().replace('"po-000123"', '"po-\u0007"'), 'ERR_JSON_CONTROL_CHARACTER'],
    ['35 comments', () => `// reading\n${pretty()}`, 'ERR_JSON_SYNTAX'],
    ['35 trailing comma', () => pretty().replace(/\n}\s*$/, ',\n}'), 'ERR_JSON_SYNTAX'],
    ['35 NaN', () => pretty().replace('"spo2": 97', '"spo2": NaN'), 'ERR_JSON_SYNTAX'],
    ['35 single quotes', () => pretty().replace('"po-000123"', "'po-000123'"), 'ERR_JSON_SYNTAX'],
  ])('%s → 400', async (_name, makeBody, code) => {
    const outcome = await expectRefused(() => bridge.ingest(oxiA, makeBody()), 400, code, 'oxi-a');
    expect(expressionsOf(outcome).length).toBeGreaterThan(0);
  });

  it.each([
    ['33 1e400', '1e400'],
    ['33 9007199254740993', '9007199254740993'],
  ])('%s names the element', async (_name, value) => {
    const outcome = await expectRefused(() => bridge.ingest(oxiA, pretty().replace('"spo2": 97', `"spo2": ${value}`)), 400, 'ERR_JSON_NUMBER_PRECISION', 'oxi-a');
    expect(expressionsOf(outcome)).toContain('item[0].spo2');
  });

  it.each([
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"type":"pulse-oximeter","messageId":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), 'ERR_INVALID_UTF8'],
    ['overlong UTF-8', Buffer.concat([Buffer.from('{"messageId":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), 'ERR_INVALID_UTF8'],
    ['a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(reading())]), 'ERR_JSON_BOM'],
  ])('34 %s → 400', async (_name, body, code) => {
    await expectRefused(() => bridge.ingest(oxiA, body), 400, code, 'oxi-a');
  });

  it.each([
    ['text/plain', 'ERR_UNSUPPORTED_MEDIA_TYPE'],
    ['application/json; charset=utf-16', 'ERR_UNSUPPORTED_MEDIA_TYPE'],
    ['application/x-www-form-urlencoded', 'ERR_UNSUPPORTED_MEDIA_TYPE'],
    ['application/fhir+json', 'ERR_UNSUPPORTED_MEDIA_TYPE'],
  ])('35 Content-Type %s → 415', async (contentType, code) => {
    await expectRefused(() => bridge.ingest(oxiA, reading(), { contentType }), 415, code, 'oxi-a');
  });

  it('35 a UTF-16 body → 415 or 400, never stored', async () => {
    const body = Buffer.from(`\ufeff${reading()}`, 'utf16le');
    const res = await bridge.ingest(oxiA, body, { contentType: 'application/json; charset=utf-16' });
    expectOutcome(res, 415);
  });

  it('23 gzip Content-Encoding → 415 (no decompression)', async () => {
    const body = gzipSync(reading());
    await expectRefused(() => bridge.ingest(oxiA, body, { headers: { 'content-encoding': 'gzip' } }), 415, 'ERR_CONTENT_ENCODING', 'oxi-a');
  });

  it('an unknown mapping id → 404', async () => {
    const outcome = await expectRefused(() => bridge.ingest(oxiA, reading(), { mapping: 'no-such-mapping' }), 404, 'ERR_NOT_FOUND', 'oxi-a');
    expect(expressionsOf(outcome)).toEqual(['mappingId']);
  });

  it('an empty body or empty array → 400', async () => {
    await expectRefused(() => bridge.ingest(oxiA, ''), 400, 'ERR_INGEST_EMPTY', 'oxi-a');
    await expectRefused(() => bridge.ingest(oxiA, '[]'), 400, 'ERR_INGEST_EMPTY', 'oxi-a');
    await expectRefused(() => bridge.ingest(oxiA, '\n\n', { contentType: 'application/x-ndjson' }), 400, 'ERR_INGEST_EMPTY', 'oxi-a');
  });

  it('sanity: the unmodified example is accepted by this bridge', async () => {
    expect((await bridge.ingest(oxiA, example('pulse-oximeter', 'with-message-id.json'))).statusCode).toBe(202);
  });
});
