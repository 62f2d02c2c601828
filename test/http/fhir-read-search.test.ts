import type { AuditEvent, Bundle, Device, Observation } from 'fhir/r4';
import { createTestBridge, type TestBridge, type TestDevice } from '../support/test-bridge';
import { auditHead, auditSince, exampleObject, expectOutcome } from './helpers';

/**
 * The FHIR API over real ingested data: reads (ETag, meta), Observation and Device searches with every
 * parameter the CapabilityStatement declares, paging to the end, sorting, and the AuditEvent per access.
 */

const NOW_MS = Date.UTC(2025, 0, 15, 10, 0, 0);
const HOURS = ['08', '09', '10', '11', '12'];

let bridge: TestBridge;
let token: string;
let oxi: TestDevice;

const oximeterReading = (hour: string, spo2 = 97) => JSON.stringify({
  ...exampleObject('pulse-oximeter', 'with-message-id.json'), messageId: `m-${hour}`, timestamp: `2024-05-14T${hour}:00:00Z`, spo2, pulseRate: 70,
});

async function ingest(device: TestDevice, body: string): Promise<void> {
  const res = await bridge.ingest(device, body);
  expect(res.statusCode).toBe(202);
}

beforeAll(async () => {
  bridge = await createTestBridge({}, { now: () => NOW_MS });
  token = await bridge.token('system/Observation.rs system/Device.rs');
  oxi = await bridge.addDevice('oxi-a', 'Patient/A');
  for (const hour of HOURS) await ingest(oxi, oximeterReading(hour)); // 5 × (SpO2 + pulse) for A
  await ingest(await bridge.addDevice('th-a', 'Patient/A'), JSON.stringify(exampleObject('thermometer', 'with-message-id.json'))); // 1 for A
  await ingest(await bridge.addDevice('ecg-b', 'Patient/B'), JSON.stringify(exampleObject('ecg-patch', 'with-id.json'))); // strip + HR for B
  await ingest(await bridge.addDevice('bp-b', 'Patient/B'), JSON.stringify(exampleObject('bp-cuff', 'with-seq.json'))); // panel + HR for B
});
afterAll(() => bridge.close());

async function search(query: string): Promise<Bundle> {
  const res = await bridge.get(`/fhir/${query}`, token);
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
  const bundle = JSON.parse(res.payload) as Bundle;
  expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
  return bundle;
}

const observations = (bundle: Bundle): Observation[] => (bundle.entry ?? []).map((e) => e.resource as Observation);
const codes = (bundle: Bundle): string[] => observations(bundle).map((o) => o.code.coding?.[0]?.code ?? '').sort();

describe('read', () => {
  it('reads a Device with ETag, versionId and lastUpdated', async () => {
    const res = await bridge.get('/fhir/Device/oxi-a', token);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const device = JSON.parse(res.payload) as Device;
    expect(device).toMatchObject({
      resourceType: 'Device', id: 'oxi-a', serialNumber: 'PO-8841-A', patient: { reference: 'Patient/A' },
      meta: { versionId: '1', lastUpdated: new Date(NOW_MS).toISOString() },
    });
    expect(res.headers.etag).toBe('W/"1"');
  });

  it('reads an Observation, and a changed resend makes version 2', async () => {
    const [first] = observations(await search('Observation?code=2708-6&date=2024-05-14T12:00:00Z'));
    const url = `/fhir/Observation/${first!.id}`;
    const before = JSON.parse((await bridge.get(url, token)).payload) as Observation;
    expect(before).toMatchObject({ meta: { versionId: '1' }, valueQuantity: { value: 97 }, device: { reference: 'Device/oxi-a' } });
    // The same message id with a corrected value: same deterministic id, a new version.
    await ingest(oxi, oximeterReading('12', 95));
    const res = await bridge.get(url, token);
    expect(res.headers.etag).toBe('W/"2"');
    expect(JSON.parse(res.payload)).toMatchObject({ id: first!.id, meta: { versionId: '2' }, valueQuantity: { value: 95 } });
    await ingest(oxi, oximeterReading('12', 97)); // back to the original value for the other tests
  });

  it('answers 404 for an unknown id, audited as a failure', async () => {
    const seq = await auditHead(bridge.store);
    expectOutcome(await bridge.get('/fhir/Observation/nope', token), 404);
    expect(await auditSince(bridge.store, seq)).toEqual([expect.objectContaining({ outcome: '4', outcomeDesc: expect.stringContaining('ERR_NOT_FOUND') })]);
  });
});

describe('Observation search', () => {
  it.each([
    ['patient=A', 11],
    ['patient=Patient/A', 11],
    ['subject=Patient/B', 4],
    ['patient=A,B', 15],
    ['code=http://loinc.org|2708-6', 5],
    ['code=2708-6', 5],
    ['code=8867-4', 7],
    ['code=http://loinc.org|8867-4,http://loinc.org|8310-5', 8],
    ['code=http://snomed.info/sct|2708-6', 0],
    ['code=2708-6&patient=B', 0],
    ['device=Device/oxi-a', 10],
    ['device=th-a', 1],
    ['category=vital-signs', 14],
    ['category=http://terminology.hl7.org/CodeSystem/observation-category|procedure', 1],
    ['code=2708-6&date=ge2024-05-14T10:00:00Z', 3],
    ['code=2708-6&date=gt2024-05-14T10:00:00Z', 2],
    ['code=2708-6&date=le2024-05-14T10:00:00Z', 3],
    ['code=2708-6&date=lt2024-05-14T10:00:00Z', 2],
    ['code=2708-6&date=ge2024-05-14T09:00:00Z&date=lt2024-05-14T11:00:00Z', 2],
    ['code=2708-6&date=2024-05-14', 5],
    ['code=2708-6&date=gt2024-05-14', 0],
  ])('%s → %i', async (query, total) => {
    const bundle = await search(`Observation?${query}`);
    expect(bundle.total).toBe(total);
    expect(bundle.entry ?? []).toHaveLength(total);
  });

  it('returns what it claims to have filtered on', async () => {
    expect(new Set(codes(await search('Observation?patient=B')))).toEqual(new Set(['131329', '8867-4', '85354-9']));
    const a = observations(await search('Observation?device=Device/oxi-a&code=8867-4'));
    expect(a.every((o) => o.device?.reference === 'Device/oxi-a' && o.subject?.reference === 'Patient/A')).toBe(true);
    const late = observations(await search('Observation?code=2708-6&date=gt2024-05-14T10:00:00Z'));
    expect(late.map((o) => o.effectiveDateTime).sort()).toEqual(['2024-05-14T11:00:00Z', '2024-05-14T12:00:00Z']);
  });

  it.each([['-date', -1], ['date', 1]])('_sort=%s orders by effective time', async (sort, direction) => {
    const times = observations(await search(`Observation?code=2708-6&_sort=${sort}`)).map((o) => Date.parse(o.effectiveDateTime!));
    expect(times).toHaveLength(5);
    const sorted = [...times].sort((x, y) => direction * (x - y));
    expect(times).toEqual(sorted);
    expect(times[0]).not.toBe(times[4]);
  });

  it('pages with _count, following next links to the end', async () => {
    const seen: string[] = [];
    let url: string | undefined = `${bridge.config.fhirBaseUrl}/Observation?patient=A&_sort=-date&_count=3`;
    let pages = 0;
    while (url !== undefined) {
      expect(url.startsWith(`${bridge.config.fhirBaseUrl}/Observation?`)).toBe(true);
      const bundle = await search(url.slice(bridge.config.fhirBaseUrl.length + 1));
      expect(bundle.total).toBe(11);
      expect((bundle.entry ?? []).length).toBeLessThanOrEqual(3);
      seen.push(...(bundle.entry ?? []).map((e) => e.resource!.id!));
      url = bundle.link?.find((l) => l.relation === 'next')?.url;
      pages += 1;
      expect(pages).toBeLessThanOrEqual(4);
    }
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(11);
  });

  it('clamps _count=1000000000 to the configured maximum (SECURITY-CASES 22)', async () => {
    const bundle = await search('Observation?_count=1000000000');
    expect(bundle.total).toBe(15);
    expect(bundle.link?.find((l) => l.relation === 'self')?.url).toContain(`_count=${bridge.config.fhirMaxCount}`);
  });

  it('refuses 1,000 repeated parameters with 400 (SECURITY-CASES 22)', async () => {
    expectOutcome(await bridge.get(`/fhir/Observation?${Array(1000).fill('code=2708-6').join('&')}`, token), 400);
  });

  it.each([
    ['_count=-1', '_count'],
    ['date=2024-13-01', 'date'],
    ['code=', 'code'],
    ['_sort=value', '_sort'],
    ['foo=bar', 'foo'],
  ])('refuses %s with 400 naming the parameter', async (query, parameter) => {
    const outcome = expectOutcome(await bridge.get(`/fhir/Observation?${query}`, token), 400);
    expect(JSON.stringify(outcome.issue[0]?.expression ?? outcome.issue[0]?.diagnostics)).toContain(parameter);
  });
});

describe('Device search', () => {
  it.each([
    ['identifier=urn:iomt-bridge:serial|PO-8841-A', ['oxi-a']],
    ['identifier=PO-8841-A', ['oxi-a']],
    ['identifier=urn:iomt-bridge:device|bp-b', ['bp-b']],
    ['patient=A', ['oxi-a', 'th-a']],
    ['patient=Patient/B', ['bp-b', 'ecg-b']],
    ['identifier=urn:iomt-bridge:serial|PO-8841-A&patient=A', ['oxi-a']],
    ['identifier=urn:iomt-bridge:serial|PO-8841-A&patient=B', []],
  ])('%s → %j', async (query, ids) => {
    const bundle = await search(`Device?${query}`);
    expect((bundle.entry ?? []).map((e) => e.resource!.id).sort()).toEqual(ids);
    expect(bundle.total).toBe(ids.length);
  });
});

describe('every API access leaves an AuditEvent', () => {
  const decode = (event: AuditEvent) => event.entity?.filter((e) => e.query).map((e) => Buffer.from(e.query!, 'base64').toString('utf8'));
  const references = (event: AuditEvent) => event.entity?.flatMap((e) => (e.what?.reference ? [e.what.reference] : [])) ?? [];

  it('a read: rest/read, action R, the resource, the client', async () => {
    const seq = await auditHead(bridge.store);
    await bridge.get('/fhir/Device/oxi-a', token);
    const [event, ...more] = await auditSince(bridge.store, seq);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      type: { code: 'rest' }, subtype: [{ code: 'read' }], action: 'R', outcome: '0', recorded: new Date(NOW_MS).toISOString(),
      agent: [{ who: { identifier: { value: 'iomt-bridge-dev' } }, requestor: true }],
    });
    expect(references(event!)).toEqual(['Device/oxi-a']);
  });

  it('a search: rest/search-type, action E, every returned resource and the query', async () => {
    const seq = await auditHead(bridge.store);
    const bundle = await search('Observation?patient=B&code=8867-4,85354-9');
    const [event, ...more] = await auditSince(bridge.store, seq);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ subtype: [{ code: 'search-type' }], action: 'E', outcome: '0' });
    expect(references(event!).sort()).toEqual(bundle.entry!.map((e) => `Observation/${e.resource!.id}`).sort());
    expect(decode(event!)).toEqual(['patient=B&code=8867-4%2C85354-9']);
  });

  it('a patient-context access names the patient', async () => {
    const seq = await auditHead(bridge.store);
    await bridge.get('/fhir/Observation?code=8310-5', await bridge.token('patient/Observation.rs', 'A'));
    const [event] = await auditSince(bridge.store, seq);
    expect(references(event!)).toContain('Patient/A');
  });
});
