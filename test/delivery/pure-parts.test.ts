import type { Device, Observation } from 'fhir/r4';
import {
  backoffDelay, buildTransactionBundle, createCircuitBreaker, isWithinBase, localReference, parseRetryAfter, readTransactionResponse, MAX_RETRY_AFTER_MS,
} from '../../src/delivery';

const BASE = 'https://ehr.example.org/fhir/r4';

describe('EHR URLs outside the base are never trusted (SECURITY-CASES 47)', () => {
  it.each([
    [`${BASE}/Observation/1`, true],
    [BASE, true],
    [`${BASE}/../admin`, false],
    [`${BASE}x/Observation/1`, false],
    ['https://evil.example/fhir/r4/Observation/1', false],
    ['http://ehr.example.org/fhir/r4/Observation/1', false],
    ['https://user:pw@ehr.example.org/fhir/r4/Observation/1', false],
    ['https://ehr.example.org:444/fhir/r4/Observation/1', false],
    ['not a url', false],
  ])('%s → %s', (url, inside) => {
    expect(isWithinBase(url, BASE)).toBe(inside);
  });

  it.each([
    ['Observation/abc/_history/2', 'Observation/abc'],
    [`${BASE}/Device/d-1`, 'Device/d-1'],
    ['https://evil.example/Observation/abc', undefined],
    ['Observation/../../x', undefined],
  ])('Location %s → %s', (location, ref) => {
    expect(localReference(location, BASE)).toBe(ref);
  });
});

describe('retry timing', () => {
  it.each([
    [1, 0.999, 999], [2, 0.5, 1000], [3, 0.5, 2000], [10, 0.5, 150_000], [40, 0.99, 297_000], [1, 0, 0],
  ])('attempt %i with random %f waits %i ms (base 1 s, max 300 s, full jitter)', (attempt, random, ms) => {
    expect(backoffDelay(attempt, { baseMs: 1000, maxMs: 300_000, random: () => random })).toBe(ms);
  });

  const now = Date.parse('2024-06-01T10:00:00Z');
  it.each<[string | null, number | undefined]>([
    ['2', 2000], [' 120 ', 120_000], ['Sat, 01 Jun 2024 10:00:30 GMT', 30_000], ['Sat, 01 Jun 2024 09:00:00 GMT', 0],
    ['99999999', MAX_RETRY_AFTER_MS], ['-1', undefined], ['soon', undefined], [null, undefined],
  ])('Retry-After %p → %p ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold, lets exactly one probe through, doubles the cool-down on a failed probe, closes on success', () => {
    const clock = { t: 0 };
    const breaker = createCircuitBreaker({ threshold: 3, cooldownMs: 1000, maxCooldownMs: 1500, now: () => clock.t });
    for (let i = 0; i < 3; i += 1) breaker.failure();
    expect([breaker.state, breaker.tryAcquire(), breaker.readyAt()]).toEqual(['open', false, 1000]);
    clock.t = 1000;
    expect([breaker.tryAcquire(), breaker.tryAcquire(), breaker.state]).toEqual([true, false, 'half-open']);
    breaker.failure();
    expect([breaker.state, breaker.readyAt()]).toEqual(['open', 2500]); // 2000 capped at 1500
    clock.t = 2500;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.success();
    expect([breaker.state, breaker.tryAcquire(), breaker.tryAcquire()]).toEqual(['closed', true, true]);
    breaker.pauseUntil(4000);
    expect([breaker.tryAcquire(), breaker.readyAt()]).toEqual([false, 4000]);
  });
});

describe('transaction Bundle', () => {
  const device: Device = {
    resourceType: 'Device', id: 'po-1', meta: { versionId: '1', lastUpdated: '2024-01-01T00:00:00Z' },
    identifier: [{ system: 'urn:iomt-bridge:serial', value: 'S1' }, { system: 'urn:iomt-bridge:device', value: 'po-1' }], patient: { reference: 'Patient/local' },
  };
  const obs = (id: string, version = '1', value = 97): Observation => ({
    resourceType: 'Observation', id, meta: { versionId: version, profile: ['http://hl7.org/fhir/StructureDefinition/oxygensat'] }, status: 'final',
    identifier: [{ system: 'urn:iomt-bridge:observation', value: `po-1/${id}/59408-5` }], code: { text: 'SpO2' },
    subject: { reference: 'Patient/local' }, device: { reference: 'Device/po-1' }, valueQuantity: { value },
  });
  let n = 0;
  const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  beforeEach(() => {
    n = 0;
  });

  it('creates conditionally on identifiers, links by urn:uuid, uses EHR patients, drops local ids', () => {
    const built = buildTransactionBundle({
      items: [{ seq: 1, resource: device, ehrPatient: 'Patient/E1' }, { seq: 2, resource: obs('a'), ehrPatient: 'Patient/E1' }],
      referencedDevices: new Map(), uuid,
    });
    expect(built.bundle).toEqual({
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000001',
          resource: { ...device, id: undefined, meta: undefined, patient: { reference: 'Patient/E1' } },
          request: { method: 'POST', url: 'Device', ifNoneExist: 'identifier=urn%3Aiomt-bridge%3Adevice%7Cpo-1' },
        },
        {
          fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000002',
          resource: { ...obs('a'), id: undefined, meta: { profile: ['http://hl7.org/fhir/StructureDefinition/oxygensat'] }, subject: { reference: 'Patient/E1' }, device: { reference: 'urn:uuid:00000000-0000-4000-8000-000000000001' } },
          request: { method: 'POST', url: 'Observation', ifNoneExist: 'identifier=urn%3Aiomt-bridge%3Aobservation%7Cpo-1%2Fa%2F59408-5' },
        },
      ].map((e) => JSON.parse(JSON.stringify(e)) as unknown),
    });
    expect(built.entrySeqs).toEqual([[1], [2]]);
  });

  it('adds the referenced Device when it is not in the batch, sends a later version as a conditional update, one entry per resource', () => {
    const built = buildTransactionBundle({
      items: [{ seq: 5, resource: obs('a', '1', 90), ehrPatient: 'Patient/E1' }, { seq: 7, resource: obs('a', '2', 91), ehrPatient: 'Patient/E1' }],
      referencedDevices: new Map([['Device/po-1', { resource: device }]]), uuid,
    });
    expect(built.bundle.entry?.map((e) => [e.request?.method, e.request?.url])).toEqual([
      ['POST', 'Device'], ['PUT', 'Observation?identifier=urn%3Aiomt-bridge%3Aobservation%7Cpo-1%2Fa%2F59408-5'],
    ]);
    expect((built.bundle.entry?.[1]?.resource as Observation).valueQuantity?.value).toBe(91);
    expect((built.bundle.entry?.[0]?.resource as Device).patient).toBeUndefined();
    expect(built.entrySeqs).toEqual([[], [5, 7]]);
  });

  it('leaves the resources it was given as they were (its copies are shallow)', () => {
    const items = [{ seq: 1, resource: device, ehrPatient: 'Patient/E1' }, { seq: 2, resource: obs('a'), ehrPatient: 'Patient/E1' }];
    const before = structuredClone(items);
    const built = buildTransactionBundle({ items, referencedDevices: new Map(), uuid });
    expect(items).toEqual(before);
    // The pushed copies share no changed object with the originals: a later edit of one leaves the other alone.
    const pushed = built.bundle.entry?.[1]?.resource as Observation;
    expect(pushed.device).not.toBe((items[1]?.resource as Observation).device);
    expect(pushed.meta?.profile).not.toBe(items[1]?.resource.meta?.profile);
  });

  it('refuses a resource without identifier (it could not be sent idempotently)', () => {
    const bare = { ...obs('b'), identifier: undefined };
    const built = buildTransactionBundle({ items: [{ seq: 9, resource: bare, ehrPatient: 'Patient/E1' }], referencedDevices: new Map(), uuid });
    expect(built.undeliverable).toEqual([{ seq: 9, reason: 'Observation/b has no identifier for a conditional create' }]);
    expect(built.bundle.entry).toEqual([]);
  });
});

describe('hostile transaction answers (SECURITY-CASES 30)', () => {
  const answer = (body: unknown) => ({ status: 200, headers: new Headers(), text: typeof body === 'string' ? body : JSON.stringify(body) });
  it.each([
    ['not JSON', '<html>'],
    ['cut half-way', '{"resourceType":"Bundle","type":"transaction-res'],
    ['another Bundle type', { resourceType: 'Bundle', type: 'searchset', entry: [{}] }],
    ['too few entries', { resourceType: 'Bundle', type: 'transaction-response', entry: [] }],
    ['an entry not 2xx', { resourceType: 'Bundle', type: 'transaction-response', entry: [{ response: { status: '400 Bad Request' } }] }],
    ['an entry without status', { resourceType: 'Bundle', type: 'transaction-response', entry: [{}] }],
  ])('%s → retryable ERR_EHR_BAD_RESPONSE', (_name, body) => {
    expect(() => readTransactionResponse(answer(body), 1, BASE)).toThrow(expect.objectContaining({ code: 'ERR_EHR_BAD_RESPONSE', kind: 'retry' }));
  });

  it('keeps in-base Locations and ignores foreign ones (never requested)', () => {
    const res = answer({ resourceType: 'Bundle', type: 'transaction-response', entry: [
      { response: { status: '201 Created', location: 'Observation/1/_history/1' } },
      { response: { status: '200 OK', location: 'http://169.254.169.254/latest/meta-data' } },
    ] });
    expect(readTransactionResponse(res, 2, BASE)).toEqual({ references: ['Observation/1', undefined], foreignLocations: 1 });
  });
});
