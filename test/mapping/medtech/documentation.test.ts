import { join } from 'node:path';
import { MEDTECH_SYSTEM } from '../../../src/mapping/medtech';
import { ANCHORS, FIXTURES, byType, filledSlots, mapTraced, message, pair } from './support';

// MedTech's documentation examples: CalculatedContent templates with the payloads they were written for
// (anchors/medtech/messages). The documentation shows only the normalised measurements, so the FHIR side is a
// test fixture; what is asserted first is what MedTech's normalisation stage documents.
const doc = (template: string) => pair(template, join(ANCHORS, 'messages', `data_Documentation_CalculatedFunction_${template}_Template.json`), join(FIXTURES, 'documentation-fhirmapping.json'));
const payload = (name: string) => message(`data_Documentation_CalculatedFunction_${name}_Payload.json`);
// The payloads are already envelopes, so locations start at `Body`.
const m = (type: string, time: string, values: Record<string, string>, loc = 'Body') =>
  ({ type, deviceId: 'device123', time, values: Object.entries(values).map(([name, value]) => ({ name, value })), loc });

describe('MedTech documentation examples (CalculatedContent): normalised as documented', () => {
  it.each([
    ['HeartRate', 'HeartRate', [m('heartrate', '2019-02-01T22:46:01.875Z', { hr: '78' })]],
    ['BloodPressure', 'BloodPressure', [m('bloodpressure', '2019-02-01T22:46:01.875Z', { systolic: '123', diastolic: '87' })]],
    ['MultipleMeasurements', 'MultipleMeasurements', [m('heartrate', '2019-02-01T22:46:01.875Z', { hr: '78' }), m('stepcount', '2019-02-01T22:46:01.875Z', { steps: '2' })]],
    ['MultipleMeasurements', 'MultipleMeasurements_FromArray', [
      m('heartrate', '2019-02-01T20:46:01.875Z', { hr: '78' }, 'Body[0]'), m('heartrate', '2019-02-01T21:46:01.875Z', { hr: '81' }, 'Body[1]'), m('heartrate', '2019-02-01T22:46:01.875Z', { hr: '72' }, 'Body[2]')]],
    ['MultipleMatches', 'MultipleMatches', [
      m('heartrate', '2021-07-13T17:29:01.061Z', { systolic: '120', diastolic: '80' }, 'Body.data[0]'), m('heartrate', '2021-07-13T17:28:01.061Z', { systolic: '122', diastolic: '82' }, 'Body.data[1]')]],
    ['TransformData', 'TransformData', [m('heightInMeters', '2019-02-01T22:46:01.875Z', { height: String(78 * 0.0254) }, 'Body[0]'), m('heightInMeters', '2019-02-01T23:46:01.875Z', { height: '1.9304' }, 'Body[1]')]],
  ])('%s template with the %s payload', (template, body, expected) => {
    const { measurements } = mapTraced(doc(template), payload(body), { deviceId: 'gw-1', patient: 'Patient/p-1' });
    expect(measurements).toEqual(expected);
  });

  it('JMESPath with multiply() converts inches to metres; JSONPath takes metres as sent', () => {
    const { out } = mapTraced(doc('TransformData'), payload('TransformData'), { deviceId: 'gw-1', patient: 'Patient/p-1' });
    // Binary floating point, as MedTech's .NET double: 78 × 0.0254 = 1.9811999999999999.
    expect(out.observations.map((o) => o.valueQuantity?.value)).toEqual([1.9811999999999999, 1.9304]);
  });

  it('one message, two types, two Observations; a Quantity per reading (periodInterval 0)', () => {
    const { out } = mapTraced(doc('MultipleMeasurements'), payload('MultipleMeasurements'), { deviceId: 'gw-1', patient: 'Patient/p-1' });
    expect(byType(out.observations, 'heartrate').valueQuantity).toEqual({ value: 78, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' });
    expect(byType(out.observations, 'stepcount')).toMatchObject({ effectivePeriod: { start: '2019-02-01T00:00:00Z', end: '2019-02-01T23:59:59.9999999Z' } });
    expect(filledSlots(byType(out.observations, 'stepcount').valueSampledData?.data)).toEqual({ 22: '2' });
  });
});

describe('IoT Hub envelopes (IotJsonPathContent)', () => {
  const iot = pair('iothub', join(FIXTURES, 'iothub', 'devicecontent.json'), join(FIXTURES, 'iothub', 'fhirmapping.json'));
  it('device id and time come from the envelope; the creation time, else the enqueued time', () => {
    expect(mapTraced(iot, message('data_IotHubPayloadExample.json'), { deviceId: 'hub', patient: 'Patient/p' }).measurements)
      .toEqual([{ type: 'heartrate', deviceId: 'ev-d795-1d04-55ae', time: '2019-01-30T22:45:02.607Z', values: [{ name: 'hr', value: '203' }], loc: '' }]);
    expect(mapTraced(iot, message('data_IotHubPayloadExampleMissingCreateTime.json'), { deviceId: 'hub', patient: 'Patient/p' }).measurements)
      .toMatchObject([{ time: '2019-02-01T22:46:01.875Z' }]);
  });

  it('one message, several values and types', () => {
    const { out } = mapTraced(iot, message('data_IotHubPayloadMultiValueExample.json'), { deviceId: 'hub', patient: 'Patient/p' });
    expect(byType(out.observations, 'bloodpressure').component?.map((c) => c.valueQuantity?.value)).toEqual([111, 75]);
    expect(byType(out.observations, 'steps').valueString).toBe('30');
  });
});

describe('device data with patient, encounter and correlation ids (CalculatedContent, JsonPath + JmesPath)', () => {
  const dd = pair('devicedata', join(FIXTURES, 'devicedata', 'devicecontent.json'), join(FIXTURES, 'devicedata', 'fhirmapping.json'));
  it('groups by correlation id (periodInterval -1) and references the encounter', () => {
    const [hr] = mapTraced(dd, message('deviceData_HeartRate.json')).out.observations;
    expect(hr).toMatchObject({
      identifier: [{ system: MEDTECH_SYSTEM, value: 'TestPatientId.TestDeviceId.heartrate.TestCorrelation' }],
      subject: { reference: 'Patient/TestPatientId' }, encounter: { reference: 'Encounter/TestEncounter' },
      effectivePeriod: { start: '2022-07-01T12:00:00Z', end: '2022-07-01T12:00:00Z' },
      valueSampledData: { period: 60000, data: '66' },
    });
  });

  it('JMESPath value expressions and a JMESPath type match (array result = one token per element)', () => {
    expect(mapTraced(dd, message('deviceData_BloodPressure.json')).out.observations[0]?.component?.map((c) => c.valueQuantity?.value)).toEqual([119, 79]);
    const [projection] = mapTraced(dd, message('deviceData_Projection.json')).out.observations;
    expect(projection?.valueCodeableConcept).toEqual({ coding: [{ code: 'measured', system: 'urn:example:flags' }], text: 'measured' });
    expect(mapTraced(dd, message('deviceData_OxygenSaturation.json')).out.observations[0]?.valueQuantity).toEqual({ value: 99, unit: '%', system: 'http://unitsofmeasure.org', code: '%' });
  });
});
