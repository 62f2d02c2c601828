import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Device, Observation, OperationOutcome, Resource } from 'fhir/r4';
import { createTestBridge, type TestBridge, type TestDevice } from '../support/test-bridge';
import { auditHead, auditSince, example, exampleObject, expectOutcome, expressionsOf, storedCounts } from './helpers';

/**
 * POST /ingest with arrays and NDJSON of the four device families, partial batches, and items refused
 * by mapping or validation — read back through the FHIR API and compared with the golden outputs.
 */

const NOW_MS = Date.UTC(2025, 0, 15, 10, 0, 0);
const FAMILIES: Record<string, [string, string]> = {
  'pulse-oximeter': ['local-time-no-pulse.json', 'with-message-id.json'],
  'bp-cuff': ['local-time-dst-gap.json', 'with-seq.json'],
  thermometer: ['fever-no-id.json', 'with-message-id.json'],
  'ecg-patch': ['local-time-360hz.json', 'with-id.json'],
};

interface Golden {
  device: Device;
  observations: Observation[];
}
const golden = (family: string, name: string): Golden =>
  JSON.parse(readFileSync(join(__dirname, '../../mappings', family, 'expected', name), 'utf8')) as Golden;

let bridge: TestBridge;
let token: string;

beforeEach(async () => {
  bridge = await createTestBridge({}, { now: () => NOW_MS });
  token = await bridge.token('system/*.rs');
});
afterEach(() => bridge.close());

/** A stored resource without what the server adds (versionId, lastUpdated), to compare with a golden file. */
function withoutServerMeta<T extends Resource>(resource: T): T {
  const { versionId: _v, lastUpdated: _l, ...meta } = resource.meta ?? {};
  const copy = { ...resource };
  if (Object.keys(meta).length > 0) copy.meta = meta;
  else delete copy.meta;
  return copy;
}

async function read<T extends Resource>(reference: string): Promise<T> {
  const res = await bridge.get(`/fhir/${reference}`, token);
  expect(res.statusCode).toBe(200);
  return JSON.parse(res.payload) as T;
}

describe.each(Object.entries(FAMILIES))('%s examples', (family, names) => {
  let device: TestDevice;
  beforeEach(async () => {
    // The golden outputs were made for this registry id and patient.
    device = await bridge.addDevice(`dev-${family}-1`, 'Patient/example');
  });

  const bodies: Array<[string, string, () => string]> = [
    ['a JSON array', 'application/json', () => `[${names.map((n) => example(family, n)).join(',')}]`],
    ['NDJSON', 'application/x-ndjson', () => `${names.map((n) => JSON.stringify(exampleObject(family, n))).join('\n')}\n`],
    ['NDJSON with CRLF and blank lines', 'application/x-ndjson; charset=utf-8', () => `\r\n${names.map((n) => JSON.stringify(exampleObject(family, n))).join('\r\n\r\n')}`],
  ];

  it.each(bodies)('as %s → 202, stored exactly as the golden files say', async (_name, contentType, body) => {
    const expected = names.map((n) => golden(family, n));
    const observationCount = expected.reduce((n, g) => n + g.observations.length, 0);
    const res = await bridge.ingest(device, body(), { contentType });
    expect(res.statusCode).toBe(202);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.payload)).toMatchObject({
      status: 'accepted', items: { received: 2, accepted: 2, rejected: 0 }, resources: { written: 1 + observationCount, unchanged: 0 },
      results: names.map((_n, item) => ({ item, status: 'accepted', mapping: family })),
    });
    expect(await storedCounts(bridge.store)).toEqual({ resources: 1 + observationCount, outbox: 1 + observationCount, jti: 1 });
    for (const g of expected) {
      for (const observation of g.observations) {
        expect(withoutServerMeta(await read<Observation>(`Observation/${observation.id}`))).toEqual(observation);
      }
    }
    // Devices are de-duplicated within a request; the last item's description wins.
    expect(withoutServerMeta(await read<Device>(`Device/${device.id}`))).toEqual(expected[1]!.device);
  });
});

describe('partial and refused batches', () => {
  let oxi: TestDevice;
  const ox = (overrides: Record<string, unknown>) => ({ ...exampleObject('pulse-oximeter', 'with-message-id.json'), ...overrides });

  beforeEach(async () => {
    oxi = await bridge.addDevice('oxi', 'Patient/A');
  });

  it('one bad item: 202 with its error (expression named), the good items stored', async () => {
    const body = JSON.stringify([ox({ messageId: 'ok-1' }), ox({ messageId: 'bad', spo2: 'high' }), ox({ messageId: 'ok-2', pulseRate: undefined })]);
    const res = await bridge.ingest(oxi, body);
    expect(res.statusCode).toBe(202);
    const summary = JSON.parse(res.payload);
    expect(summary).toMatchObject({ status: 'partially-accepted', items: { received: 3, accepted: 2, rejected: 1 }, resources: { written: 4 } });
    const rejected = summary.results[1] as { status: string; outcome: OperationOutcome };
    expect(rejected.status).toBe('rejected');
    expect(expressionsOf(rejected.outcome)).toEqual(['item[1].spo2']);
    expect(rejected.outcome.issue[0]).toMatchObject({ severity: 'error', code: 'value', diagnostics: expect.stringMatching(/^item\[1\]: /) });
    expect(await storedCounts(bridge.store)).toEqual({ resources: 4, outbox: 4, jti: 1 });
    const spo2 = JSON.parse((await bridge.get('/fhir/Observation?code=2708-6', token)).payload);
    expect(spo2.total).toBe(2);
  });

  it('every item bad: 422 with each item named, nothing stored, audited as a failure', async () => {
    const bp = { ...exampleObject('bp-cuff', 'with-seq.json'), reading: { sys: 'x', dia: 80, pulse: 60 } };
    const seq = await auditHead(bridge.store);
    const outcome = expectOutcome(await bridge.ingest(oxi, JSON.stringify([ox({ spo2: 'high' }), bp])), 422);
    expect(expressionsOf(outcome)).toEqual(['item[0].spo2', 'item[1].reading.sys']);
    expect(bridge.lastErrorCode()).toBe('ERR_INGEST_REJECTED');
    expect(await storedCounts(bridge.store)).toEqual({ resources: 0, outbox: 0, jti: 0 });
    expect(await auditSince(bridge.store, seq)).toEqual([
      expect.objectContaining({ outcome: '4', outcomeDesc: expect.stringContaining('ERR_INGEST_REJECTED') }),
    ]);
  });

  it('a payload no mapping accepts: 422 naming the item', async () => {
    const outcome = expectOutcome(await bridge.ingest(oxi, '{"hello": 1}'), 422);
    expect(outcome.issue[0]?.diagnostics).toMatch(/^item\[0\]: no mapping accepts this payload/);
  });

  it('a payload posted to a mapping that does not fit it: 422, nothing stored', async () => {
    const outcome = expectOutcome(await bridge.ingest(oxi, example('pulse-oximeter', 'with-message-id.json'), { mapping: 'thermometer' }), 422);
    expect(outcome.issue.length).toBeGreaterThan(0);
    expect(await storedCounts(bridge.store)).toEqual({ resources: 0, outbox: 0, jti: 0 });
  });

  it('one malformed NDJSON line refuses the whole request (400 naming the item and the line)', async () => {
    const body = `${JSON.stringify(ox({ messageId: 'a' }))}\n{"type": "pulse-oximeter",\n`;
    const outcome = expectOutcome(await bridge.ingest(oxi, body, { contentType: 'application/x-ndjson' }), 400);
    expect(expressionsOf(outcome)[0]).toMatch(/^item\[1\]/);
    expect(outcome.issue[0]?.diagnostics).toMatch(/^line 2\b/);
    expect(await storedCounts(bridge.store)).toEqual({ resources: 0, outbox: 0, jti: 0 });
  });

  it('a reading whose patient cannot be resolved: 422 naming Observation.subject', async () => {
    const orphan = await bridge.addDevice('oxi-no-patient');
    const outcome = expectOutcome(await bridge.ingest(orphan, example('pulse-oximeter', 'with-message-id.json')), 422);
    expect(outcome.issue[0]).toMatchObject({ code: 'required', expression: ['Observation.subject'] });
    expect(outcome.issue[0]?.diagnostics).toMatch(/not linked to a patient/);
    expect(await storedCounts(bridge.store)).toEqual({ resources: 0, outbox: 0, jti: 0 });
  });
});

describe('validation refusals through the route (mappings written for this test)', () => {
  let mappingsDir: string;
  let cuff: TestDevice;

  beforeAll(() => {
    mappingsDir = mkdtempSync(join(tmpdir(), 'iomt-mappings-'));
    // A cuff mapped to kPa: the R4 bp profile fixes mm[Hg] on both components.
    writeFileSync(join(mappingsDir, 'bp-kpa.yaml'), [
      'id: bp-kpa', 'title: Test cuff in kPa', 'match: { path: "$.kind", equals: "bp-kpa" }',
      'message: { id: "$.seq", timestamp: "$.at" }', 'device: { serial: "$.sn" }', 'observations:',
      '  - code: { system: http://loinc.org, code: "85354-9", display: Blood pressure panel }', '    category: vital-signs',
      '    profile: http://hl7.org/fhir/StructureDefinition/bp', '    components:',
      '      - code: { system: http://loinc.org, code: "8480-6" }', '        value: { quantity: { path: "$.sys", unit: "kPa" } }',
      '      - code: { system: http://loinc.org, code: "8462-4" }', '        value: { quantity: { path: "$.dia", unit: "kPa" } }', '',
    ].join('\n'));
    // A heart rate in beats per second: the R4 heartrate profile fixes /min.
    writeFileSync(join(mappingsDir, 'hr-per-second.yaml'), [
      'id: hr-per-second', 'title: Test pulse in /s', 'match: { path: "$.kind", equals: "hr" }',
      'message: { id: "$.seq", timestamp: "$.at" }', 'device: { serial: "$.sn" }', 'observations:',
      '  - code: { system: http://loinc.org, code: "8867-4", display: Heart rate }', '    category: vital-signs',
      '    profile: http://hl7.org/fhir/StructureDefinition/heartrate', '    value: { quantity: { path: "$.hr", unit: "/s" } }', '',
    ].join('\n'));
  });
  afterAll(() => rmSync(mappingsDir, { recursive: true, force: true }));

  beforeEach(async () => {
    await bridge.close();
    bridge = await createTestBridge({ IOMT_MAPPINGS_DIR: mappingsDir }, { now: () => NOW_MS });
    cuff = await bridge.addDevice('cuff', 'Patient/A');
  });

  it.each([
    ['a BP in kPa', { kind: 'bp-kpa', seq: 1, at: '2024-05-14T10:00:00Z', sn: 'S1', sys: 16, dia: 11 }, /^Observation\.component\[[01]\]\.value(Quantity)?\.code$/],
    ['a heart rate in /s', { kind: 'hr', seq: 2, at: '2024-05-14T10:00:00Z', sn: 'S1', hr: 1.2 }, /^Observation\.value(Quantity)?\.code$/],
  ])('%s → 422 with the FHIRPath of the unit, nothing stored', async (_name, payload, expression) => {
    const seq = await auditHead(bridge.store);
    const outcome = expectOutcome(await bridge.ingest(cuff, JSON.stringify(payload)), 422);
    expect(expressionsOf(outcome).some((e) => expression.test(e))).toBe(true);
    expect(await storedCounts(bridge.store)).toEqual({ resources: 0, outbox: 0, jti: 0 });
    expect(await auditSince(bridge.store, seq)).toEqual([expect.objectContaining({ outcome: '4' })]);
  });
});
