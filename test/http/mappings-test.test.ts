import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle } from 'fhir/r4';
import { createTestBridge, type TestBridge } from '../support/test-bridge';
import { example, exampleObject, expectOutcome } from './helpers';
import { anchor } from '../support/anchors';

const ANCHORS = anchor('medtech', 'templates', 'basic');

describe('POST /mappings/$test', () => {
  let bridge: TestBridge;
  let admin: string;
  const post = (body: unknown, token = admin) =>
    bridge.server.inject({ method: 'POST', url: '/mappings/$test', payload: JSON.stringify(body), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

  beforeEach(async () => {
    bridge = await createTestBridge();
    admin = await bridge.token('iomt:admin');
  });
  afterEach(() => bridge.close());

  it('needs a token with the admin scope', async () => {
    const none = await bridge.server.inject({ method: 'POST', url: '/mappings/$test', payload: '{}', headers: { 'content-type': 'application/json' } });
    expectOutcome(none, 401);
    expectOutcome(await post({ payload: {} }, await bridge.token('system/Observation.rs')), 403);
  });

  it('runs a loaded mapping and answers the resources, each item outcome and the trace', async () => {
    const res = await post({ payload: example('pulse-oximeter', 'with-message-id.json'), mappingId: 'pulse-oximeter' });
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.payload);
    expect(body.summary).toEqual({ received: 1, accepted: 1, rejected: 0 });
    expect((body.bundle as Bundle).entry?.map((e) => e.resource?.resourceType)).toEqual(['Device', 'Observation', 'Observation']);
    const steps = (body.items[0].trace as Array<{ step: string; at?: string; expression?: string; value?: unknown }>);
    expect(steps[0]).toMatchObject({ step: 'select', value: 'pulse-oximeter' });
    expect(steps).toContainEqual({ step: 'read', at: 'observations[0].value.quantity', expression: '$.spo2', language: 'jsonpath', value: 97 });
    expect(steps.filter((s) => s.step === 'validate')).toHaveLength(3);
  });

  it('produces exactly what ingest stores for the same payload (the debugger is the runtime)', async () => {
    const payload = example('bp-cuff', 'with-seq.json');
    const tested = JSON.parse((await post({ payload, device: { id: 'bp-7', patient: 'Patient/example' } })).payload);
    const device = await bridge.addDevice('bp-7', 'Patient/example');
    expect((await bridge.ingest(device, payload)).statusCode).toBe(202);
    for (const entry of (tested.bundle as Bundle).entry ?? []) {
      const stored = JSON.parse((await bridge.get(`/fhir/${entry.resource?.resourceType}/${entry.resource?.id}`, await bridge.token('system/*.rs'))).payload);
      delete stored.meta.versionId;
      delete stored.meta.lastUpdated;
      if (Object.keys(stored.meta).length === 0) delete stored.meta;
      expect(stored).toEqual(entry.resource);
    }
  });

  it('refuses a posted mapping that does not compile, naming its line', async () => {
    const res = await post({ payload: {}, mapping: 'id: x\ntitle: X\nmatch: { path: "$.a", exists: true }\nmessage: { timestamp: "$.t" }\nobservations:\n  - code: { system: http://loinc.org, code: "8867-4" }\n    value: { quantity: { path: "$.hr", unit: "bpm" } }\n' });
    const outcome = expectOutcome(res, 400);
    expect(outcome.issue[0]?.details?.text).toBe('posted mapping:7: observations[0].value.quantity.unit: "bpm" is not a UCUM unit code (see https://ucum.org/ucum)');
  });

  it('runs posted MedTech templates: the basic sample\'s blood pressure is reported, not accepted', async () => {
    const mapping = { devicecontent: readFileSync(join(ANCHORS, 'devicecontent.json'), 'utf8'), fhirmapping: readFileSync(join(ANCHORS, 'fhirmapping.json'), 'utf8') };
    const res = await post({ mapping, payload: { systolic: '120', diastolic: '80', deviceid: 'band-1', patientid: 'p-9', measurementdatetime: '2024-05-14T09:30:05Z' }, device: { id: 'gw', patient: null } });
    const body = JSON.parse(res.payload);
    expect(body.mapping).toMatchObject({ id: 'posted-medtech', kind: 'medtech' });
    expect(body.summary).toEqual({ received: 1, accepted: 0, rejected: 1 });
    expect(JSON.stringify(body.items[0].outcome)).toMatch(/Slice Observation\.component:DiastolicBP/);
  });

  it('reads a raw NDJSON payload with the parser ingest uses', async () => {
    const line = JSON.stringify(exampleObject('pulse-oximeter', 'with-message-id.json'));
    const res = await post({ payload: `${line}\n${line.replace('po-000123', 'po-000124')}\n`, contentType: 'application/x-ndjson' });
    expect(JSON.parse(res.payload).summary).toEqual({ received: 2, accepted: 2, rejected: 0 });
    const bad = await post({ payload: '{"a": 1,}' });
    expect(expectOutcome(bad, 400).issue[0]?.expression?.[0]).toMatch(/^item/);
  });

  it('lists the loaded mappings for the playground', async () => {
    const res = await bridge.server.inject({ method: 'GET', url: '/mappings', headers: { authorization: `Bearer ${admin}` } });
    const ids = (JSON.parse(res.payload) as Array<{ id: string }>).map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['pulse-oximeter', 'bp-cuff', 'glucose-meter', 'stethoscope']));
  });
});

describe('GET /mappings/playground', () => {
  let bridge: TestBridge;
  beforeEach(async () => { bridge = await createTestBridge(); });
  afterEach(() => bridge.close());

  it('serves the page and its own assets under a strict CSP (no CDN, no inline script)', async () => {
    const page = await bridge.server.inject('/mappings/playground');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self';/);
    expect(page.payload).not.toMatch(/https?:\/\/(?!www\.w3)/);
    const js = await bridge.server.inject('/mappings/playground/playground.js');
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await bridge.server.inject('/mappings/playground/../../package.json')).statusCode).toBe(404);
  });
});
