import { changed, errors, fixture, summary, validate, type Json } from './helpers';

const VITALS = 'http://hl7.org/fhir/StructureDefinition/';

describe('createValidator: the R4 examples pass', () => {
  it.each([
    ['heart rate (8867-4, /min)', 'observation-heart-rate'],
    ['SpO2 (2708-6, %)', 'observation-sat-o2'],
    ['blood pressure panel (85354-9, mm[Hg] components)', 'observation-blood-pressure'],
    ['body temperature (8310-5, Cel)', 'observation-body-temperature'],
    ['ECG with valueSampledData', 'observation-ecg'],
    ['Device', 'device'],
  ])('%s', (_name, file) => {
    const outcome = validate(fixture(file));
    expect(summary(outcome)).toEqual(['information informational -: Validation successful']);
  });

  it('accepts a SpO2 with an FiO2 component in L/min (units binding relaxed as the HL7 validator does)', () => {
    const r = changed('observation-sat-o2', (o) => {
      const fio2 = { system: 'http://loinc.org', code: '3151-8', display: 'Inhaled oxygen flow rate' };
      o.component = [{ code: { coding: [fio2] }, valueQuantity: { value: 6, unit: 'L/min', system: 'http://unitsofmeasure.org', code: 'L/min' } }];
    });
    expect(errors(validate(r))).toEqual([]);
  });

  it('accepts a required primitive present only as _element (extension, no value)', () => {
    const r = changed('observation-ecg', (o) => {
      delete o.status;
      o._status = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] };
    });
    expect(errors(validate(r))).toEqual([]);
  });

  it('accepts primitive arrays paired with _arrays holding nulls', () => {
    const r = changed('device', (d) => {
      d.contact = [{ system: 'phone', value: 'ext 4352' }];
      d.note[0].text = 'QA Checked';
      d.identifier[0]._value = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'masked' }] };
    });
    expect(errors(validate(r))).toEqual([]);
  });
});

interface Case {
  name: string;
  resource: Json;
  code: string;
  expression: string;
  text?: RegExp;
}

const cases: Case[] = [
  { name: 'missing status', resource: changed('observation-ecg', (o) => delete o.status), code: 'required', expression: 'Observation.status' },
  { name: 'status "bogus"', resource: changed('observation-ecg', (o) => (o.status = 'bogus')), code: 'code-invalid', expression: 'Observation.status', text: /observation-status/ },
  { name: 'unknown element', resource: changed('observation-ecg', (o) => (o.colour = 'red')), code: 'structure', expression: 'Observation.colour' },
  {
    name: 'two value[x] at once',
    resource: changed('observation-body-temperature', (o) => (o.valueString = 'warm')),
    code: 'structure',
    expression: 'Observation.valueString',
    text: /Only one of valueQuantity and valueString/,
  },
  { name: 'valueQuantity: []', resource: changed('observation-ecg', (o) => (o.valueQuantity = [])), code: 'structure', expression: 'Observation.valueQuantity' },
  { name: 'valueQuantity: {}', resource: changed('observation-ecg', (o) => (o.valueQuantity = {})), code: 'structure', expression: 'Observation.valueQuantity' },
  { name: 'identifier: []', resource: changed('observation-ecg', (o) => (o.identifier = [])), code: 'structure', expression: 'Observation.identifier', text: /empty array/ },
  { name: 'empty string', resource: changed('observation-ecg', (o) => (o.code.text = '')), code: 'value', expression: 'Observation.code.text' },
  { name: 'single value where an array is required', resource: changed('observation-ecg', (o) => (o.performer = o.performer[0])), code: 'structure', expression: 'Observation.performer' },
  {
    name: 'heart rate in beats/min instead of /min',
    resource: changed('observation-heart-rate', (o) => (o.valueQuantity.code = 'beats/min')),
    code: 'value',
    expression: 'Observation.valueQuantity.code',
    text: /"\/min".*profile http:\/\/hl7\.org\/fhir\/StructureDefinition\/heartrate/,
  },
  {
    name: 'body temperature without category',
    resource: changed('observation-body-temperature', (o) => delete o.category),
    code: 'required',
    expression: 'Observation.category',
    text: /VSCat.*bodytemp/,
  },
  {
    name: 'body temperature with category laboratory instead of vital-signs',
    resource: changed('observation-body-temperature', (o) => (o.category[0].coding[0].code = 'laboratory')),
    code: 'required',
    expression: 'Observation.category',
    text: /Slice Observation\.category:VSCat.*found 0/,
  },
  {
    name: 'blood pressure whose diastolic component carries the heart-rate code 8867-4',
    resource: changed('observation-blood-pressure', (o) => (o.component[1].code.coding[0] = { system: 'http://loinc.org', code: '8867-4' })),
    code: 'required',
    expression: 'Observation.component',
    text: /Slice Observation\.component:DiastolicBP.*found 0 \(profile http:\/\/hl7\.org\/fhir\/StructureDefinition\/bp\)/,
  },
  {
    name: 'blood pressure component in mmHg instead of mm[Hg]',
    resource: changed('observation-blood-pressure', (o) => (o.component[1].valueQuantity.code = 'mmHg')),
    code: 'value',
    expression: 'Observation.component[1].valueQuantity.code',
  },
  { name: 'vital sign without subject', resource: changed('observation-heart-rate', (o) => delete o.subject), code: 'required', expression: 'Observation.subject', text: /heartrate/ },
  { name: 'vital sign with a dateTime precise to the month only (vs-1)', resource: changed('observation-heart-rate', (o) => (o.effectiveDateTime = '1999-07')), code: 'invariant', expression: 'Observation.effectiveDateTime', text: /vs-1/ },
  { name: 'vital sign with neither value nor component (vs-2)', resource: changed('observation-heart-rate', (o) => delete o.valueQuantity), code: 'invariant', expression: 'Observation', text: /vs-2/ },
  { name: 'SpO2 as a string value (closed type slicing)', resource: changed('observation-sat-o2', (o) => { delete o.valueQuantity; o.valueString = '95 %'; }), code: 'structure', expression: 'Observation.valueString', text: /oxygensat/ },
  { name: 'bad dateTime 2020-13-01', resource: changed('observation-ecg', (o) => (o.effectiveDateTime = '2020-13-01')), code: 'value', expression: 'Observation.effectiveDateTime' },
  { name: 'dateTime of a day that does not exist', resource: changed('observation-ecg', (o) => (o.effectiveDateTime = '2021-02-30')), code: 'value', expression: 'Observation.effectiveDateTime' },
  { name: 'invalid id', resource: changed('observation-ecg', (o) => (o.id = 'not an id!')), code: 'value', expression: 'Observation.id' },
  { name: 'string where a number is required', resource: changed('observation-heart-rate', (o) => (o.valueQuantity.value = '44')), code: 'structure', expression: 'Observation.valueQuantity.value' },
  { name: 'decimal where an integer is required', resource: changed('observation-ecg', (o) => (o.component[1].valueSampledData.dimensions = 1.5)), code: 'value', expression: 'Observation.component[1].valueSampledData.dimensions' },
  { name: 'SampledData without its required period', resource: changed('observation-ecg', (o) => delete o.component[0].valueSampledData.period), code: 'required', expression: 'Observation.component[0].valueSampledData.period' },
  { name: 'Quantity.comparator outside its value set', resource: changed('observation-ecg', (o) => (o.component[0].valueSampledData.origin.comparator = '~')), code: 'code-invalid', expression: 'Observation.component[0].valueSampledData.origin.comparator' },
  { name: 'component without code', resource: changed('observation-ecg', (o) => delete o.component[1].code), code: 'required', expression: 'Observation.component[1].code' },
  { name: 'dataAbsentReason next to a value (obs-6)', resource: changed('observation-body-temperature', (o) => (o.dataAbsentReason = { text: 'unknown' })), code: 'invariant', expression: 'Observation', text: /obs-6/ },
  {
    name: 'a value while a component repeats the Observation code (obs-7)',
    resource: changed('observation-ecg', (o) => {
      o.valueString = 'see components';
      o.component[0].code = o.code;
    }),
    code: 'invariant',
    expression: 'Observation',
    text: /obs-7/,
  },
  { name: 'extension with neither value nor extensions (ext-1)', resource: changed('observation-ecg', (o) => (o.extension = [{ url: 'http://example.org/x' }])), code: 'invariant', expression: 'Observation.extension[0]', text: /ext-1/ },
  { name: 'unknown element inside an extension', resource: changed('observation-ecg', (o) => (o.extension = [{ url: 'http://example.org/x', valueBoolean: true, colour: 1 }])), code: 'structure', expression: 'Observation.extension[0].colour' },
  { name: 'null outside a primitive array', resource: changed('observation-ecg', (o) => (o.performer = [null])), code: 'structure', expression: 'Observation.performer[0]' },
  { name: 'Device with an unknown element', resource: changed('device', (d) => (d.serial = 'AMID-342135-8464')), code: 'structure', expression: 'Device.serial' },
  { name: 'Device status "on"', resource: changed('device', (d) => (d.status = 'on')), code: 'code-invalid', expression: 'Device.status' },
  { name: 'Device deviceName.type outside its value set', resource: changed('device', (d) => (d.deviceName[0].type = 'brand')), code: 'code-invalid', expression: 'Device.deviceName[0].type' },
  { name: 'unknown element in a contained resource', resource: changed('observation-ecg', (o) => (o.contained = [{ resourceType: 'Device', id: 'd1', colour: 'red' }])), code: 'structure', expression: 'Observation.contained[0].colour' },
  { name: 'unknown resourceType', resource: { resourceType: 'Observations', status: 'final' }, code: 'structure', expression: 'resourceType' },
];

describe('createValidator: invalid resources fail with the right code and expression', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const outcome = validate(c.resource);
    const match = errors(outcome).find(
      (i) => i.code === c.code && i.expression?.[0] === c.expression && (c.text === undefined || c.text.test(i.diagnostics ?? '')),
    );
    // On failure, the received object lists every issue found.
    expect({ match: match !== undefined, issues: summary(outcome) }).toEqual({ match: true, issues: expect.any(Array) });
  });
});

describe('createValidator: profiles', () => {
  it.each([
    ['8867-4', 'heartrate'],
    ['2708-6', 'oxygensat'],
    ['8310-5', 'bodytemp'],
    ['9279-1', 'resprate'],
    ['29463-7', 'bodyweight'],
    ['8480-6', 'vitalsigns'],
  ])('applies the vital-signs profile for LOINC %s automatically (%s), without meta.profile', (code, profile) => {
    const r = changed('observation-heart-rate', (o) => {
      delete o.meta;
      delete o.category;
      o.code.coding[0].code = code;
    });
    const texts = errors(validate(r)).map((i) => i.diagnostics ?? '');
    expect(texts.some((t) => t.includes('VSCat') && t.includes(`(profile ${VITALS}${profile})`))).toBe(true);
  });

  it('does not apply vital-signs profiles to other codes', () => {
    const r = changed('observation-ecg', (o) => delete o.subject);
    expect(errors(validate(r))).toEqual([]);
  });

  it('applies profiles given in options', () => {
    const outcome = validate(fixture('observation-ecg'), [`${VITALS}bp`]);
    const texts = errors(outcome).map((i) => i.diagnostics ?? '');
    expect(texts).toEqual(expect.arrayContaining([expect.stringMatching(/SystolicBP.*found 0/), expect.stringMatching(/DiastolicBP.*found 0/)]));
  });

  it('warns about an unknown profile in meta.profile, and checks nothing more', () => {
    const r = changed('observation-ecg', (o) => (o.meta = { profile: ['http://example.org/StructureDefinition/nope'] }));
    expect(summary(validate(r))).toEqual([
      'warning not-supported Observation.meta.profile[0]: Profile http://example.org/StructureDefinition/nope is unknown to this server; it was not checked',
    ]);
  });

  it('refuses a profile made for another resource type', () => {
    const outcome = validate(fixture('device'), [`${VITALS}heartrate`]);
    expect(errors(outcome).map((i) => i.code)).toEqual(['invalid']);
  });

  it('reports an issue once when both the generic and a specific vital-signs profile apply', () => {
    const r = changed('observation-heart-rate', (o) => delete o.subject);
    const subject = errors(validate(r)).filter((i) => i.expression?.[0] === 'Observation.subject');
    expect(subject).toHaveLength(1);
  });
});
