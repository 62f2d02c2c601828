import type { Observation } from 'fhir/r4';
import { ERR_MAPPING_INVALID, ERR_MAPPING_VALUE, ERR_PATIENT_MISMATCH, ERR_PATIENT_UNRESOLVED } from '../../../src/mapping';
import { compileMedTechText, mergeObservations, mergeWithStored } from '../../../src/mapping/medtech';
import { failure, filledSlots } from './support';

const content = (template: Record<string, unknown>, kind = 'JsonPathContent') =>
  JSON.stringify({ templateType: 'CollectionContent', template: [{ templateType: kind, template }] }, null, 2);
const fhir = (template: Record<string, unknown>) => JSON.stringify({ templateType: 'CollectionFhir', template: [{ templateType: 'CodeValueFhir', template }] }, null, 2);
const HR_CONTENT = { typeName: 'hr', typeMatchExpression: '$..[?(@hr)]', deviceIdExpression: '$.device', timestampExpression: '$.time', patientIdExpression: '$.patient', values: [{ valueName: 'hr', valueExpression: '$.hr', required: true }] };
const HR_FHIR = { typeName: 'hr', periodInterval: 60, codes: [{ code: '8867-4', system: 'http://loinc.org' }], value: { valueName: 'hr', valueType: 'SampledData', defaultPeriod: 60000, unit: '/min' } };
const compile = (dc: string, fm: string) => compileMedTechText({ id: 't', deviceContent: { text: dc, source: 't/devicecontent.json' }, fhirMapping: { text: fm, source: 't/fhirmapping.json' } });
const hr = compile(content(HR_CONTENT), fhir(HR_FHIR));

describe('MedTech templates: errors at load name file and line', () => {
  it.each([
    ['a JSONPath that does not parse', content({ ...HR_CONTENT, typeMatchExpression: '$..[?(@hr' }), fhir(HR_FHIR), /^t\/devicecontent\.json:8: template\[0\]\.template\.typeMatchExpression: JSONPath /],
    ['an unknown JMESPath function', content({ ...HR_CONTENT, values: [{ valueName: 'hr', valueExpression: { value: 'times(hr, `2`)', language: 'JmesPath' } }] }, 'CalculatedContent'), fhir(HR_FHIR), /template\[0\]\.template\.values\[0\]\.valueExpression\.value: JMESPath unknown function times\(\)/],
    ['a missing timestampExpression', content({ ...HR_CONTENT, timestampExpression: undefined }), fhir(HR_FHIR), /template\[0\]\.template\.timestampExpression: "timestampExpression" is required/],
    ['an unknown template type', content(HR_CONTENT, 'XmlContent'), fhir(HR_FHIR), /unknown templateType "XmlContent"/],
    ['a code without a system', content(HR_CONTENT), fhir({ ...HR_FHIR, codes: [{ code: '8867-4' }] }), /^t\/fhirmapping\.json:\d+: template\[0\]\.template\.codes\[0\]\.system: code "8867-4" has no system/],
    ['a bad periodInterval', content(HR_CONTENT), fhir({ ...HR_FHIR, periodInterval: 30 }), /periodInterval is 0 \(single\), 60 \(hourly\), 1440 \(daily\) or -1/],
    ['SampledData without defaultPeriod', content(HR_CONTENT), fhir({ ...HR_FHIR, value: { valueName: 'hr', valueType: 'SampledData' } }), /defaultPeriod/],
  ])('%s', (_name, dc, fm, reason) => {
    const e = failure(() => compile(dc, fm));
    expect(e.code).toBe(ERR_MAPPING_INVALID);
    expect(e.message).toMatch(reason);
  });
});

describe('MedTech templates: refusals at run time (where MedTech would drop or guess)', () => {
  const device = { deviceId: 'gw' };
  it('a required value that is missing names its place in the message', () => {
    const e = failure(() => hr.map({ payload: { hr: null, device: 'd', time: '2024-05-14T10:00:00Z', patient: 'p' }, device, location: 'item[2]' }));
    expect(e.code).toBe(ERR_MAPPING_VALUE);
    expect(e.outcome.issue[0]).toMatchObject({ code: 'required', expression: ['item[2].hr'] });
  });

  it('a reading whose patient cannot be resolved is refused (MedTech drops it)', () => {
    const e = failure(() => hr.map({ payload: { hr: 70, device: 'd', time: '2024-05-14T10:00:00Z' }, device }));
    expect(e.code).toBe(ERR_PATIENT_UNRESOLVED);
    expect(() => hr.map({ payload: { hr: 70, device: 'd', time: '2024-05-14T10:00:00Z' }, device: { deviceId: 'gw', patient: 'Patient/p1' } })).not.toThrow();
    expect(failure(() => hr.map({ payload: { hr: 70, device: 'd', time: '2024-05-14T10:00:00Z', patient: 'p2' }, device: { deviceId: 'gw', patient: 'Patient/p1' } })).code).toBe(ERR_PATIENT_MISMATCH);
  });

  it('a message type with no FHIR template is refused, and so is a non-numeric sample', () => {
    const noFhir = compile(content(HR_CONTENT), fhir({ ...HR_FHIR, typeName: 'other' }));
    expect(failure(() => noFhir.map({ payload: { hr: 70, device: 'd', time: '2024-05-14T10:00:00Z', patient: 'p' }, device })).outcome.issue[0]).toMatchObject({ code: 'not-supported' });
    expect(failure(() => hr.map({ payload: { hr: 'n/a', device: 'd', time: '2024-05-14T10:00:00Z', patient: 'p' }, device })).outcome.issue[0]?.details?.text).toMatch(/is not a decimal/);
  });
});

describe('MedTech windows merge into the stored Observation', () => {
  const at = (time: string, value: number) => hr.map({ payload: { hr: value, device: 'd', time, patient: 'p' }, device: { deviceId: 'gw' } }).observations[0] as Observation;
  it('a later message of the same hour extends the stream; the same data again changes nothing', async () => {
    const stored = at('2024-05-14T10:05:00Z', 70);
    const next = at('2024-05-14T10:07:00Z', 74);
    const merged = mergeObservations(stored, next);
    expect(merged.status).toBe('amended');
    expect(filledSlots(merged.valueSampledData?.data)).toEqual({ 5: '70', 7: '74' });
    expect(mergeObservations(merged, at('2024-05-14T10:07:00Z', 74))).toBe(merged);
    expect(filledSlots(mergeObservations(merged, at('2024-05-14T10:07:30Z', 80)).valueSampledData?.data)).toEqual({ 5: '70', 7: '80' }); // the newer reading wins the slot
    const read = async (id: string) => (id === stored.id ? { ...stored, meta: { versionId: '3' } } : undefined);
    const [out] = await mergeWithStored([next], read);
    expect(filledSlots((out as Observation).valueSampledData?.data)).toEqual({ 5: '70', 7: '74' });
  });
});
