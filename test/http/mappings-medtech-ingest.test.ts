import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observation } from 'fhir/r4';
import { createTestBridge, type TestBridge, type TestDevice } from '../support/test-bridge';

// MedTech templates dropped into the mappings folder run through ingest unchanged, and an hourly stream grows
// with each message instead of being replaced (merged with the stored Observation, as MedTech does).
const DEVICE_CONTENT = {
  templateType: 'CollectionContent',
  template: [{ templateType: 'JsonPathContent', template: {
    typeName: 'hrstream', typeMatchExpression: '$..[?(@hr)]', deviceIdExpression: '$.deviceid', timestampExpression: '$.at',
    values: [{ required: true, valueExpression: '$.hr', valueName: 'hr' }],
  } }],
};
const FHIR_MAPPING = {
  templateType: 'CollectionFhir',
  template: [{ templateType: 'CodeValueFhir', template: {
    typeName: 'hrstream', periodInterval: 60, codes: [{ system: 'https://www.mydevice.com/v1', code: 'hr-stream', display: 'Heart rate stream' }],
    value: { valueName: 'hr', valueType: 'SampledData', defaultPeriod: 60000, unit: '/min' },
  } }],
};

describe('MedTech templates through POST /ingest', () => {
  let dir: string;
  let bridge: TestBridge;
  let band: TestDevice;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'iomt-medtech-'));
    mkdirSync(join(dir, 'wearable'));
    writeFileSync(join(dir, 'wearable', 'devicecontent.json'), JSON.stringify(DEVICE_CONTENT));
    writeFileSync(join(dir, 'wearable', 'fhirmapping.json'), JSON.stringify(FHIR_MAPPING));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    bridge = await createTestBridge({ IOMT_MAPPINGS_DIR: dir });
    band = await bridge.addDevice('band-gw', 'Patient/example');
  });
  afterEach(() => bridge.close());

  it('a second message of the same hour extends the stored stream (status amended, new version)', async () => {
    const send = (at: string, hr: number) => bridge.ingest(band, JSON.stringify({ deviceid: 'band-7', at, hr }), { mapping: 'wearable' });
    expect((await send('2024-05-14T09:30:00Z', 71)).statusCode).toBe(202);
    const first = JSON.parse((await send('2024-05-14T09:41:00Z', 77)).payload);
    expect(first.resources).toMatchObject({ written: 1 });
    const token = await bridge.token('system/Observation.rs');
    const search = JSON.parse((await bridge.get('/fhir/Observation?patient=Patient/example', token)).payload);
    expect(search.total).toBe(1);
    const obs = search.entry[0].resource as Observation;
    expect(obs.status).toBe('amended');
    expect(obs.meta?.versionId).toBe('2');
    const slots = (obs.valueSampledData?.data ?? '').split(' ');
    expect(slots).toHaveLength(60);
    expect([slots[30], slots[41]]).toEqual(['71', '77']);
    expect(slots.filter((s) => s !== 'E')).toHaveLength(2);
  });
});
