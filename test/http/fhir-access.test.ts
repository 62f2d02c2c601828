import type { Bundle, CapabilityStatement, Observation } from 'fhir/r4';
import { createTestBridge, type TestBridge } from '../support/test-bridge';
import { auditHead, auditSince, example, exampleObject, expectOutcome, storedCounts } from './helpers';

/**
 * Who may see what on the FHIR API: scopes (SECURITY-CASES 12, 13), the patient compartment (14), the
 * public discovery endpoint and unknown routes.
 */

let bridge: TestBridge;
let observationOfA: string;
let observationOfB: string;

/** Ingests one reading for `deviceId` (linked to `patient`) and returns the first Observation id. */
async function seed(deviceId: string, patient: string, body: string): Promise<string> {
  const device = await bridge.addDevice(deviceId, patient);
  const res = await bridge.ingest(device, body);
  expect(res.statusCode).toBe(202);
  const refs = JSON.parse(res.payload).results[0].resources as string[];
  return refs.find((r) => r.startsWith('Observation/'))!.slice('Observation/'.length);
}

beforeAll(async () => {
  bridge = await createTestBridge();
  observationOfA = await seed('oxi-a', 'Patient/A', example('pulse-oximeter', 'with-message-id.json'));
  observationOfB = await seed('oxi-b', 'Patient/B', JSON.stringify({ ...exampleObject('pulse-oximeter', 'with-message-id.json'), messageId: 'b-1' }));
});
afterAll(() => bridge.close());

/** Expects a refusal with `status`, nothing written, and one failure AuditEvent carrying `code`. */
async function expectRefused(url: string, token: string | undefined, status: number, code: string): Promise<void> {
  const before = await storedCounts(bridge.store);
  const seq = await auditHead(bridge.store);
  const res = await bridge.get(url, token);
  expectOutcome(res, status);
  expect(bridge.lastErrorCode()).toBe(code);
  if (status === 403) expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope"');
  expect(await storedCounts(bridge.store)).toEqual(before);
  expect(await auditSince(bridge.store, seq)).toEqual([expect.objectContaining({ outcome: '4', outcomeDesc: expect.stringContaining(code) })]);
}

describe('scopes (SECURITY-CASES 12, 13)', () => {
  it.each([
    ['system/Device.rs', 'read or search'],
    ['system/Observation.write', 'read or search'], // v1 write = c u d: no read, no search
    ['system/Observation.cud', 'read or search'],
    ['system/Observation.r', 'search'],
    ['system/Observation.s', 'read'],
    ['openid fhirUser launch', 'read or search'],
    ['system/Observation.sr', 'read or search'], // v2 letters out of order grant nothing
    ['system/Observation.rs?category=vital-signs&category=laboratory', 'read or search'], // unreadable query: nothing
  ])('%s cannot %s Observations → 403', async (scope, refused) => {
    const token = await bridge.token(scope);
    const read = `/fhir/Observation/${observationOfA}`;
    const search = '/fhir/Observation';
    if (refused !== 'search') await expectRefused(read, token, 403, 'ERR_INSUFFICIENT_SCOPE');
    if (refused !== 'read') await expectRefused(search, token, 403, 'ERR_INSUFFICIENT_SCOPE');
    if (refused === 'search') expect((await bridge.get(read, token)).statusCode).toBe(200);
    if (refused === 'read') expect((await bridge.get(search, token)).statusCode).toBe(200);
  });

  it.each(['system/Observation.rs', 'system/Observation.read', 'system/*.rs', 'system/*.read', 'user/Observation.rs', 'system/Observation.*'])(
    '%s reads and searches Observations', async (scope) => {
      const token = await bridge.token(scope);
      expect((await bridge.get(`/fhir/Observation/${observationOfA}`, token)).statusCode).toBe(200);
      expect((await bridge.get('/fhir/Observation', token)).statusCode).toBe(200);
    },
  );

  it('a patient/ scope without a patient in context grants nothing', async () => {
    await expectRefused('/fhir/Observation', await bridge.token('patient/Observation.rs'), 403, 'ERR_NO_PATIENT_CONTEXT');
  });
});

describe('the patient compartment (SECURITY-CASES 14)', () => {
  let tokenOfA: string;
  beforeAll(async () => {
    tokenOfA = await bridge.token('patient/Observation.rs patient/Device.rs', 'A');
  });

  it("reads A's Observation, and answers 404 (not 403) for B's", async () => {
    const own = await bridge.get(`/fhir/Observation/${observationOfA}`, tokenOfA);
    expect(own.statusCode).toBe(200);
    expect((JSON.parse(own.payload) as Observation).subject?.reference).toBe('Patient/A');
    await expectRefused(`/fhir/Observation/${observationOfB}`, tokenOfA, 404, 'ERR_NOT_FOUND');
    await expectRefused('/fhir/Device/oxi-b', tokenOfA, 404, 'ERR_NOT_FOUND');
    // The same 404 as for an id that does not exist: existence is not disclosed.
    const missing = await bridge.get('/fhir/Observation/does-not-exist', tokenOfA);
    const other = await bridge.get(`/fhir/Observation/${observationOfB}`, tokenOfA);
    expect(JSON.parse(other.payload).issue[0].code).toBe(JSON.parse(missing.payload).issue[0].code);
  });

  it.each([
    '/fhir/Observation?subject=Patient/B',
    '/fhir/Observation?patient=B',
    '/fhir/Observation?patient=A,B',
    '/fhir/Device?patient=B',
  ])('refuses %s', async (url) => {
    await expectRefused(url, tokenOfA, 403, 'ERR_COMPARTMENT');
  });

  it.each([
    '/fhir/Observation?_revinclude=Observation:subject',
    '/fhir/Observation?_include=Observation:subject',
    '/fhir/Observation?subject.name=B',
    '/fhir/Observation?subject:Patient=B',
  ])('refuses %s (no way around the compartment) → 400', async (url) => {
    const res = await bridge.get(url, tokenOfA);
    expectOutcome(res, 400);
  });

  it('narrows a search without a patient filter to A', async () => {
    const bundle = JSON.parse((await bridge.get('/fhir/Observation', tokenOfA)).payload) as Bundle<Observation>;
    expect(bundle.total).toBeGreaterThan(0);
    expect(new Set(bundle.entry?.map((e) => e.resource?.subject?.reference))).toEqual(new Set(['Patient/A']));
    const all = JSON.parse((await bridge.get('/fhir/Observation', await bridge.token('system/Observation.rs'))).payload) as Bundle;
    expect(all.total).toBeGreaterThan(bundle.total!);
  });
});

describe('public and unknown routes', () => {
  it('serves /fhir/metadata without a token', async () => {
    const res = await bridge.get('/fhir/metadata');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const cs = JSON.parse(res.payload) as CapabilityStatement;
    expect(cs).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1', status: 'active' });
    const types = cs.rest?.[0]?.resource?.map((r) => r.type).sort();
    expect(types).toEqual(['Device', 'Observation']);
  });

  it.each(['/fhir/Patient/A', '/fhir/AuditEvent', '/nope', '/fhir/Observation/x/_history/1', '/fhir/.env'])(
    '%s → 404 OperationOutcome', async (url) => {
      const res = await bridge.get(url, await bridge.token('system/*.rs'));
      expect(expectOutcome(res, 404).issue[0]?.code).toBe('not-found');
    },
  );

  it.each([
    ['POST', '/fhir/Observation'],
    ['DELETE', `/fhir/Observation/x`],
    ['PUT', '/fhir/Device/oxi-a'],
  ])('%s %s is not a route → 404/405 OperationOutcome, nothing written', async (method, url) => {
    const before = await storedCounts(bridge.store);
    const token = await bridge.token('system/*.*');
    const res = await bridge.server.inject({ method, url, payload: '{}', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' } });
    expect([404, 405]).toContain(res.statusCode);
    expectOutcome(res, res.statusCode);
    expect(await storedCounts(bridge.store)).toEqual(before);
  });

  it('sends no CORS header on the authenticated API (SECURITY-CASES 28)', async () => {
    const res = await bridge.server.inject({
      method: 'GET', url: '/fhir/Observation', headers: { authorization: `Bearer ${await bridge.token('system/*.rs')}`, origin: 'https://evil.example' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
