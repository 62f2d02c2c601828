import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { processItems } from '../../../src/ingest/process-items';
import { loadMappingPath } from '../../../src/mapping/load';
import { MEDTECH_SYSTEM } from '../../../src/mapping/medtech';
import { ERR_MAPPING_VALUE } from '../../../src/mapping';
import { ANCHORS, byType, failure, filledSlots, mapTraced, message, validator } from './support';

// MedTech's three sample template sets, run unchanged from ../shared/anchors/medtech/templates.
const basic = loadMappingPath(join(ANCHORS, 'templates', 'basic'));
const healthkit = loadMappingPath(join(ANCHORS, 'templates', 'healthkitOnFhir'));
const sandbox = loadMappingPath(join(ANCHORS, 'templates', 'sandbox'));

const at = (extra: Record<string, unknown>) => ({ deviceid: 'band-7', patientid: 'p-42', measurementdatetime: '2024-05-14T09:30:05Z', ...extra });

describe('MedTech sample templates load unchanged', () => {
  it.each([[basic, 'basic'], [healthkit, 'healthkitonfhir'], [sandbox, 'sandbox']])('%#: %s', (mapping, id) => {
    expect(mapping.id).toBe(id);
    expect(mapping.kind).toBe('medtech');
  });
});

describe('basic sample (JsonPathContent, hourly SampledData)', () => {
  it('a heart rate lands in its one-second slot of the hour, identified as MedTech does', () => {
    const { out, measurements } = mapTraced(basic, at({ heartrate: '78' }));
    expect(measurements).toEqual([{ type: 'heartrate', deviceId: 'band-7', patientId: 'p-42', time: '2024-05-14T09:30:05.000Z', values: [{ name: 'hr', value: '78' }], loc: '' }]);
    const [hr] = out.observations;
    const value = 'p-42.band-7.heartrate.20240514090000Z.20240514095959Z';
    expect(hr?.identifier).toEqual([{ system: MEDTECH_SYSTEM, value }]);
    expect(hr?.id).toBe(createHash('sha256').update(`${MEDTECH_SYSTEM}_${value}`).digest('hex'));
    expect(hr?.code).toEqual({ coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }, { system: MEDTECH_SYSTEM, code: 'heartrate', display: 'heartrate' }], text: 'heartrate' });
    expect(hr?.effectivePeriod).toEqual({ start: '2024-05-14T09:00:00Z', end: '2024-05-14T09:59:59.9999999Z' });
    expect(hr?.subject).toEqual({ reference: 'Patient/p-42' });
    expect(hr?.device).toEqual({ reference: 'Device/gw-1' });
    expect(hr?.valueSampledData).toMatchObject({ origin: { value: 0, unit: 'count/min' }, period: 1000, dimensions: 1 });
    expect(hr?.valueSampledData?.data?.split(' ')).toHaveLength(3600);
    expect(filledSlots(hr?.valueSampledData?.data)).toEqual({ 1805: '78' });
    expect(out.device.identifier).toContainEqual({ system: 'urn:iomt-bridge:medtech:device-id', value: 'band-7' });
  });

  it('its blood-pressure mapping gives diastolic the heart-rate code: the bridge reports it instead of storing it', () => {
    const { out } = mapTraced(basic, at({ systolic: '120', diastolic: '80' }));
    const bp = byType(out.observations, 'bloodpressure');
    expect(bp.component?.[0]?.code.coding?.[0]).toEqual({ code: '8867-4', display: 'Diastolic blood pressure', system: 'http://loinc.org' });
    const processed = processItems([at({ systolic: '120', diastolic: '80' })], { deviceId: 'gw-1' }, { mappings: [basic], validator });
    expect(processed.accepted).toBe(0);
    expect(processed.resources).toEqual([]);
    const texts = processed.results[0]?.outcome?.issue.map((i) => i.details?.text) ?? [];
    expect(texts).toContainEqual(expect.stringMatching(/^Slice Observation\.component:DiastolicBP .*minimum required = 1, but only found 0 \(profile http:\/\/hl7\.org\/fhir\/StructureDefinition\/bp\)$/));
  });

  it('device events (CodeableConcept, periodInterval 0) are stored: no vital-sign profile applies to them', () => {
    const processed = processItems([at({ deviceWorn: true })], { deviceId: 'gw-1' }, { mappings: [basic], validator });
    expect(processed.results[0]?.status).toBe('accepted');
    const obs = processed.resources.find((r) => r.resourceType === 'Observation');
    expect(obs).toMatchObject({
      effectivePeriod: { start: '2024-05-14T09:30:05Z', end: '2024-05-14T09:30:05Z' },
      valueCodeableConcept: { text: 'Device Worn', coding: [{ code: 'deviceWorn', system: 'https://www.mydevice.com/v1', display: 'Device Worn' }] },
    });
  });

  it('vital signs as hourly SampledData fail the R4 vital-signs profiles (value[x] must be a Quantity): reported, not stored', () => {
    const processed = processItems([at({ heartrate: '78' })], { deviceId: 'gw-1' }, { mappings: [basic], validator });
    expect(processed.results[0]?.status).toBe('rejected');
    expect(processed.results[0]?.outcome?.issue.map((i) => i.details?.text)).toContainEqual(
      'Observation.value[x]: type SampledData is not allowed here (allowed: Quantity) (profile http://hl7.org/fhir/StructureDefinition/heartrate)');
  });

  it('two readings of the same hour in one request become one Observation with both slots', () => {
    const items = [at({ heartrate: '78' }), at({ heartrate: '81', measurementdatetime: '2024-05-14T09:41:00Z' })];
    const first = basic.map({ payload: items[0], device: { deviceId: 'gw-1' } }).observations[0];
    const second = basic.map({ payload: items[1], device: { deviceId: 'gw-1' } }).observations[0];
    expect(second?.id).toBe(first?.id);
    const processed = processItems(items, { deviceId: 'gw-1' }, { mappings: [basic], validator: { validate: () => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] }) } });
    const merged = processed.resources.filter((r) => r.resourceType === 'Observation');
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ status: 'amended' });
    expect(filledSlots((merged[0] as { valueSampledData?: { data?: string } }).valueSampledData?.data)).toEqual({ 1805: '78', 2460: '81' });
  });
});

describe('healthkitOnFhir sample', () => {
  it('bodyMass is a Quantity with the template unit; other types are hourly SampledData', () => {
    const payload = { deviceId: 'iphone-1', endDate: '2024-05-14T06:10:00Z', bodyMass: 70.5, heartRate: 64 };
    const { out } = mapTraced(healthkit, payload, { deviceId: 'gw-1', patient: 'Patient/p-1' });
    expect(byType(out.observations, 'bodyMass').valueQuantity).toEqual({ value: 70.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' });
    expect(byType(out.observations, 'bodyMass').effectivePeriod).toEqual({ start: '2024-05-14T06:10:00Z', end: '2024-05-14T06:10:00Z' });
    expect(filledSlots(byType(out.observations, 'heartrate').valueSampledData?.data)).toEqual({ 120: '64' }); // 10 min / 5 s
    expect(out.observations.every((o) => o.subject?.reference === 'Patient/p-1')).toBe(true);
  });
});

describe('healthkitOnFhir sample: a unit that is not UCUM', () => {
  it('loads with a warning naming file and line, and refuses the readings that would carry it', () => {
    expect(healthkit.warnings).toEqual([expect.stringMatching(/(^|\/)shared\/anchors\/medtech\/templates\/healthkitOnFhir\/fhirmapping\.json:\d+: template\[13\]\.template\.value\.code: "dB\(SPL\)" is not a UCUM unit code/)]);
    const e = failure(() => healthkit.map({ payload: { deviceId: 'iphone-1', endDate: '2024-05-14T06:10:00Z', environmentalAudioExposure: 71 }, device: { deviceId: 'gw-1', patient: 'Patient/p-1' } }));
    expect(e.code).toBe(ERR_MAPPING_VALUE);
    expect(e.outcome.issue[0]).toMatchObject({ code: 'code-invalid', expression: ['$this'] });
  });
});

describe('sandbox sample (IotCentralJsonPathContent)', () => {
  it('runs on the IoT Central export with several messages: one hourly stream per device and type', () => {
    const { out, measurements } = mapTraced(sandbox, message('data_IotCentralPayloadExampleMultipleMessages.json'));
    expect(measurements).toHaveLength(12); // 5 types for each of the two 1qsi… messages, 2 for 24bj…
    const hr = out.observations.filter((o) => o.code.text === 'heartrate');
    expect(hr).toHaveLength(1); // both heart rates of device 1qsi9p8t5l2 fall in 19:00–20:00
    expect(hr[0]?.subject).toEqual({ reference: 'Patient/1qsi9p8t5l2' }); // patientIdExpression is the device id
    expect(filledSlots(hr[0]?.valueSampledData?.data)).toEqual({ 88: '69', 90: '75' }); // 19:44:04 and 19:45:20, 30 s slots
    expect(byType(out.observations, 'kneebend').subject).toEqual({ reference: 'Patient/24bjobtcf8i' });
    expect(filledSlots(byType(out.observations, 'bodytemperature').valueSampledData?.data)).toEqual({ 88: '98.3519900406635', 90: '98.43639286275842' });
  });

  it('wraps a bare IoT Central message as the envelope Body', () => {
    const { out } = mapTraced(sandbox, message('data_IotCentralPayloadExample.json'));
    const bp = byType(out.observations, 'bloodpressure');
    expect(bp.component?.map((c) => [c.code.text, filledSlots(c.valueSampledData?.data)])).toEqual([['diastolic', { 53: '7' }], ['systolic', { 53: '71' }]]); // 22:26:55 → slot 26·2 + 1
    expect(filledSlots(byType(out.observations, 'respiratoryrate').valueSampledData?.data)).toEqual({ 53: '13' });
  });
});
