import type { AuditEvent, Bundle, Device, Observation } from 'fhir/r4';
import { createTestBridge, type TestBridge } from '../support/test-bridge';
import { auditHead, auditSince, example, expectOutcome, storedCounts } from './helpers';

/**
 * SECURITY-CASES 12 (missing interaction), 13 (only the token's `scope` claim counts) and 15 (query-restricted
 * scopes), and Device visibility under a patient scope, through the real routes.
 */

const CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';
const VITALS = `patient/Observation.rs?category=${CAT}|vital-signs`;

let bridge: TestBridge;
let labId: string;
let vitalIds: string[];

/** A laboratory Observation for Patient/A, committed as an ingest would (no mapping produces one). */
function labObservation(): Observation {
  return {
    resourceType: 'Observation', id: 'lab-glucose-1', status: 'final',
    category: [{ coding: [{ system: CAT, code: 'laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] },
    subject: { reference: 'Patient/A' }, effectiveDateTime: '2024-05-14T08:00:00Z',
    valueQuantity: { value: 5.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  };
}

const audit: AuditEvent = {
  resourceType: 'AuditEvent', type: { code: 'rest' }, recorded: '2024-05-14T08:00:00Z', agent: [{ requestor: true }], source: { observer: { display: 'test' } },
};

beforeAll(async () => {
  bridge = await createTestBridge();
  const oxi = await bridge.addDevice('oxi-a', 'Patient/A');
  const res = await bridge.ingest(oxi, example('pulse-oximeter', 'with-message-id.json'));
  expect(res.statusCode).toBe(202);
  vitalIds = (JSON.parse(res.payload).results[0].resources as string[]).filter((r) => r.startsWith('Observation/')).map((r) => r.slice(12));
  await bridge.store.addDevice({ id: 'lab-analyser', publicJwk: { kty: 'EC' } });
  await bridge.store.commitIngest({ deviceId: 'lab-analyser', jti: 'lab-1', jtiExpiresAt: 4_102_444_800, resources: [labObservation()], audit });
  labId = 'lab-glucose-1';
  await bridge.addDevice('unlinked-cuff');
  const other = await bridge.addDevice('oxi-b', 'Patient/B');
  expect((await bridge.ingest(other, JSON.stringify({ ...JSON.parse(example('pulse-oximeter', 'with-message-id.json')), messageId: 'b1' }))).statusCode).toBe(202);
});
afterAll(() => bridge.close());

const bundleOf = (payload: string) => JSON.parse(payload) as Bundle<Observation | Device>;
const ids = (payload: string) => bundleOf(payload).entry?.map((e) => e.resource?.id) ?? [];

describe('query-restricted scopes (SECURITY-CASES 15)', () => {
  it('a lab Observation does not appear in a search under patient/Observation.rs?category=…|vital-signs', async () => {
    const token = await bridge.token(VITALS, 'A');
    const res = await bridge.get('/fhir/Observation', token);
    expect(res.statusCode).toBe(200);
    expect(ids(res.payload).sort()).toEqual([...vitalIds].sort());
    expect(bundleOf(res.payload).total).toBe(vitalIds.length);
    // Asking for laboratory explicitly narrows to nothing rather than widening.
    const labs = await bridge.get(`/fhir/Observation?category=${encodeURIComponent(`${CAT}|laboratory`)}`, token);
    expect(bundleOf(labs.payload).total).toBe(0);
    // An unrestricted token of the same patient does see it: the lab is there.
    expect(ids((await bridge.get('/fhir/Observation', await bridge.token('patient/Observation.rs', 'A'))).payload)).toContain(labId);
  });

  it('a read of the lab Observation answers 404 (as out of compartment), audited', async () => {
    const seq = await auditHead(bridge.store);
    const res = await bridge.get(`/fhir/Observation/${labId}`, await bridge.token(VITALS, 'A'));
    expectOutcome(res, 404);
    expect(await auditSince(bridge.store, seq)).toEqual([expect.objectContaining({ outcome: '4' })]);
    expect((await bridge.get(`/fhir/Observation/${vitalIds[0]}`, await bridge.token(VITALS, 'A'))).statusCode).toBe(200);
  });

  it('a code restriction lets only that code through, on search and read', async () => {
    const token = await bridge.token('user/Observation.rs?code=http://loinc.org|2345-7');
    expect(ids((await bridge.get('/fhir/Observation', token)).payload)).toEqual([labId]);
    expect((await bridge.get(`/fhir/Observation/${labId}`, token)).statusCode).toBe(200);
    expectOutcome(await bridge.get(`/fhir/Observation/${vitalIds[0]}`, token), 404);
  });

  it('alternatives on one parameter are merged; other combinations are refused, never widened', async () => {
    const both = await bridge.token(`${VITALS} patient/Observation.rs?category=${CAT}|laboratory`, 'A');
    expect(ids((await bridge.get('/fhir/Observation', both)).payload).sort()).toEqual([...vitalIds, labId].sort());
    const mixed = await bridge.token(`${VITALS} patient/Observation.rs?code=http://loinc.org|2345-7`, 'A');
    const res = await bridge.get('/fhir/Observation', mixed);
    expectOutcome(res, 403);
    expect(bridge.lastErrorCode()).toBe('ERR_SCOPE_QUERY_COMBINATION');
    // Reads still work with any one of them.
    expect((await bridge.get(`/fhir/Observation/${labId}`, mixed)).statusCode).toBe(200);
  });

  it('a restriction that cannot be enforced grants nothing (403)', async () => {
    const res = await bridge.get('/fhir/Observation', await bridge.token('patient/Observation.rs?date=ge2024-01-01', 'A'));
    expectOutcome(res, 403);
    expect(bridge.lastErrorCode()).toBe('ERR_INSUFFICIENT_SCOPE');
  });
});

describe('missing interaction and granted scope (SECURITY-CASES 12, 13)', () => {
  it('patient/Observation.r cannot search (needs s) → 403 insufficient_scope', async () => {
    const res = await bridge.get('/fhir/Observation', await bridge.token('patient/Observation.r', 'A'));
    expectOutcome(res, 403);
    expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope"');
    expect(bridge.lastErrorCode()).toBe('ERR_INSUFFICIENT_SCOPE');
  });

  it('patient/Observation.r cannot create (needs c): no write reaches the store', async () => {
    const before = await storedCounts(bridge.store);
    const token = await bridge.token('patient/Observation.r', 'A');
    const res = await bridge.server.inject({
      method: 'POST', url: '/fhir/Observation', payload: JSON.stringify(labObservation()),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    });
    expect([403, 404, 405]).toContain(res.statusCode);
    expect(await storedCounts(bridge.store)).toEqual(before);
  });

  it('only the `scope` claim counts: other claims naming wider scopes grant nothing', async () => {
    // The development issuer writes `scope`; a token also carrying `scp`/`requested_scope` must not gain from them.
    const key = bridge.issuerKey!;
    const { SignJWT, importJWK } = await import('jose');
    const now = Math.floor(bridge.now() / 1000);
    const token = await new SignJWT({
      scope: 'patient/Observation.rs', scp: ['system/*.*'], requested_scope: 'system/*.* patient/Device.rs', client_id: 'c1', patient: 'A',
    }).setProtectedHeader({ alg: 'ES256', kid: key.kid }).setIssuer(bridge.config.devIssuerUrl).setAudience(bridge.config.authAudience)
      .setIssuedAt(now).setExpirationTime(now + 300).sign(await importJWK(key.privateJwk, 'ES256'));
    expectOutcome(await bridge.get('/fhir/Device', token), 403);
    const own = await bridge.get('/fhir/Observation', token);
    expect(new Set(bundleOf(own.payload).entry?.map((e) => (e.resource as Observation).subject?.reference))).toEqual(new Set(['Patient/A']));
  });
});

describe('Devices under a patient scope', () => {
  it('are visible only when linked to the patient in context', async () => {
    const token = await bridge.token('patient/Device.rs', 'A');
    expect(ids((await bridge.get('/fhir/Device', token)).payload)).toEqual(['oxi-a']);
    expect((await bridge.get('/fhir/Device/oxi-a', token)).statusCode).toBe(200);
    expectOutcome(await bridge.get('/fhir/Device/oxi-b', token), 404);
    expectOutcome(await bridge.get('/fhir/Device/lab-analyser', token), 404);
  });
});
