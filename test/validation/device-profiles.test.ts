import { errors, summary, validate, type Json } from './helpers';
import { createValidator, loadDefinitions } from '../../src/validation';
import { join } from 'node:path';

/**
 * Our device profiles (profiles/*.json, differentials expanded at load): what each requires, by FHIRPath location.
 * The validator here loads the real profiles/ folder, as the bridge does at boot.
 */
const IOMT = 'https://iomt-bridge.dev/fhir/StructureDefinition/';
const UCUM = 'http://unitsofmeasure.org';
const v = createValidator(loadDefinitions({ profilesDir: join(__dirname, '..', '..', 'profiles') }));
const check = (r: Json, profile: string) => v.validate(r as never, { profiles: [`${IOMT}${profile}`] });

const device = (): Json => ({
  resourceType: 'Device',
  identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SNO' }] }, system: 'urn:example:serial', value: 'SN-1' }],
  manufacturer: 'Acme', modelNumber: 'M1',
  version: [{ type: { coding: [{ system: 'urn:iso:std:iso:11073:10101', code: '531976' }] }, value: '1.0' }],
});
const base = (): Json => ({
  resourceType: 'Observation', status: 'final', identifier: [{ system: 'urn:example:obs', value: 'o-1' }],
  code: { coding: [{ system: 'urn:iso:std:iso:11073:10101', code: '150456' }] }, subject: { reference: 'Patient/p' },
  effectiveDateTime: '2024-05-14T09:30:00+02:00', device: { reference: 'Device/d' },
});
const numeric = (): Json => ({ ...base(), valueQuantity: { value: 97, unit: '%', system: UCUM, code: '%' } });
const waveform = (): Json => ({ ...base(), valueSampledData: { origin: { value: 0, system: UCUM, code: 'mV' }, period: 4, dimensions: 1, data: '1 2 3' } });
const compound = (): Json => ({
  ...base(),
  component: [{ code: { text: 'systolic' }, valueQuantity: { value: 120, system: UCUM, code: 'mm[Hg]' } }, { code: { text: 'diastolic' }, dataAbsentReason: { text: 'probe off' } }],
});
const edit = (make: () => Json, change: (r: Json) => void): Json => {
  const r = make();
  change(r);
  return r;
};

describe('the profiles accept well-formed device data', () => {
  it.each([
    ['iomt-device', device],
    ['iomt-numeric-observation', numeric],
    ['iomt-waveform-observation', waveform],
    ['iomt-compound-observation', compound],
  ] as const)('%s', (profile, make) => {
    expect(summary({ resourceType: 'OperationOutcome', issue: errors(check(make(), profile)) })).toEqual([]);
  });
});

describe('the profiles refuse what they forbid', () => {
  it.each([
    ['device without manufacturer', 'iomt-device', edit(device, (d) => delete d.manufacturer), 'Device.manufacturer'],
    ['device without serial number (iomt-dev-1)', 'iomt-device', edit(device, (d) => { d.identifier = [{ system: 'urn:x', value: '1' }]; }), 'Device'],
    ['device identifier without system', 'iomt-device', edit(device, (d) => delete d.identifier[0].system), 'Device.identifier[0].system'],
    ['two serial-number identifiers (slice max 1)', 'iomt-device', edit(device, (d) => d.identifier.push({ ...d.identifier[0], value: 'SN-2' })), 'Device.identifier'],
    ['numeric without identifier', 'iomt-numeric-observation', edit(numeric, (o) => delete o.identifier), 'Observation.identifier'],
    ['numeric without device', 'iomt-numeric-observation', edit(numeric, (o) => delete o.device), 'Observation.device'],
    ['numeric device reference to a Patient', 'iomt-numeric-observation', edit(numeric, (o) => (o.device = { reference: 'Patient/p' })), 'Observation.device'],
    ['numeric in a non-UCUM system', 'iomt-numeric-observation', edit(numeric, (o) => (o.valueQuantity.system = 'urn:x')), 'Observation.valueQuantity.system'],
    ['numeric in an invalid UCUM unit', 'iomt-numeric-observation', edit(numeric, (o) => (o.valueQuantity.code = 'percent!')), 'Observation.valueQuantity.code'],
    ['numeric with a string value', 'iomt-numeric-observation', edit(numeric, (o) => { delete o.valueQuantity; o.valueString = '97'; }), 'Observation.valueString'],
    ['numeric with neither value nor reason (iomt-obs-1)', 'iomt-numeric-observation', edit(numeric, (o) => delete o.valueQuantity), 'Observation'],
    ['waveform without SampledData', 'iomt-waveform-observation', edit(waveform, (o) => delete o.valueSampledData), 'Observation.value'],
    ['waveform origin not in UCUM', 'iomt-waveform-observation', edit(waveform, (o) => delete o.valueSampledData.origin.system), 'Observation.valueSampledData.origin.system'],
    ['compound with a value of its own', 'iomt-compound-observation', edit(compound, (o) => (o.valueQuantity = { value: 1, system: UCUM, code: '1' })), 'Observation.value'],
    ['compound component with neither value nor reason (iomt-obs-2)', 'iomt-compound-observation', edit(compound, (o) => delete o.component[1].dataAbsentReason), 'Observation.component[1]'],
  ] as const)('%s', (_name, profile, r, expression) => {
    const found = errors(check(r, profile));
    expect({ at: found.map((i) => i.expression?.[0]), profileNamed: found.some((i) => i.diagnostics?.includes(`${IOMT}${profile}`)) })
      .toEqual({ at: expect.arrayContaining([expression]), profileNamed: true });
  });
});

describe('profiles declared in meta.profile', () => {
  it('are applied without being asked for', () => {
    const r = edit(numeric, (o) => { o.meta = { profile: [`${IOMT}iomt-numeric-observation`] }; delete o.device; });
    expect(errors(validate(r)).length).toBe(0); // the shared test validator has no profiles/ loaded: unknown, a warning
    expect(errors(v.validate(r as never)).map((i) => i.expression?.[0])).toContain('Observation.device');
  });
});
