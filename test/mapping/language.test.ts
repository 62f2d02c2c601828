import type { Observation } from 'fhir/r4';
import { compileMapping, ERR_MAPPING_INVALID, ERR_MAPPING_VALUE, selectMapping, type CompiledMapping, type TraceStep } from '../../src/mapping';
import { FhirError } from '../../src/errors/fhir-error';

const device = { deviceId: 'dev-1', patient: 'Patient/p1' };
const HR = { system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' };
const SPO2 = { system: 'http://loinc.org', code: '2708-6' };

const mapping = (extra: Record<string, unknown>, observations: unknown[]): CompiledMapping => compileMapping({
  id: 'lang', title: 'Language features', match: { path: '$.k', exists: true }, message: { timestamp: '$.ts' }, timezone: 'UTC', observations, ...extra,
}, 'lang.yaml');

const failure = (f: () => unknown): FhirError => {
  try {
    f();
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('no error');
};
const value = (o: Observation | undefined) => Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => k.startsWith('value') || k === 'dataAbsentReason' || k === 'component'));

describe('each + when: many readings, many kinds, one payload', () => {
  const batch = mapping({ each: '$.readings[*]', message: { id: '$.msg', timestamp: '@.t' } }, [
    { code: HR, when: { path: '@.type', equals: 'hr' }, value: { quantity: { path: '@.v', unit: '/min' } } },
    { code: SPO2, when: { path: '@.type', equals: 'spo2' }, value: { quantity: { path: '@.v', unit: '%' } } },
  ]);
  const payload = { k: 1, msg: 'm-9', readings: [{ type: 'hr', v: 61, t: '2024-05-14T10:00:00Z' }, { type: 'spo2', v: 97, t: '2024-05-14T10:00:00Z' }, { type: 'hr', v: 64, t: '2024-05-14T10:01:00Z' }, { type: 'temp', v: 37 }] };

  it('each reading gets its own time and identifier (message id + place in the batch); other kinds are skipped', () => {
    const { observations } = batch.map({ payload, device });
    expect(observations.map((o) => [o.identifier?.[0]?.value, o.effectiveDateTime, o.valueQuantity?.value])).toEqual([
      ['dev-1/m-9#0/8867-4', '2024-05-14T10:00:00Z', 61],
      ['dev-1/m-9#1/2708-6', '2024-05-14T10:00:00Z', 97],
      ['dev-1/m-9#2/8867-4', '2024-05-14T10:01:00Z', 64],
    ]);
  });

  it('issues name the reading inside the item', () => {
    const e = failure(() => batch.map({ payload: { ...payload, readings: [payload.readings[0], { type: 'hr', v: '61', t: '2024-05-14T10:02:00Z' }] }, device, location: 'item[3]' }));
    expect(e.outcome.issue.map((i) => i.expression?.[0])).toEqual(['item[3].readings[1].v']);
  });

  it('two readings with one identifier are an error, not a silent overwrite', () => {
    const noId = mapping({ each: '$.r', message: { timestamp: '@.t' } }, [{ code: HR, value: { quantity: { path: '@.v', unit: '/min' } } }]);
    const e = failure(() => noId.map({ payload: { k: 1, r: [{ v: 1, t: '2024-05-14T10:00:00Z' }, { v: 2, t: '2024-05-14T10:00:00Z' }] }, device }));
    expect(e.outcome.issue[0]).toMatchObject({ code: 'duplicate', expression: ['r[1]'] });
  });
});

describe('expressions: JSONPath (full) and JMESPath per source', () => {
  it('JMESPath with MedTech functions, and a JSONPath filter', () => {
    const m = mapping({}, [
      { code: HR, value: { quantity: { expression: 'to_number(vitals.hr_text)', language: 'jmespath', unit: '/min' } } },
      { code: SPO2, value: { quantity: { expression: "$.samples[?(@.kind == 'spo2')].value", unit: '%' } } },
      { code: { system: 'http://loinc.org', code: '8310-5' }, value: { quantity: { expression: 'multiply(tempTenths, `0.1`)', language: 'jmespath', unit: 'Cel', decimals: 1 } } },
      // divide() of two integers is integer division, as MedTech's (.NET long) — JSON cannot tell 371.0 from 371.
      { code: { system: 'http://loinc.org', code: '9279-1' }, value: { quantity: { expression: 'divide(breathsPer10Min, `10`)', language: 'jmespath', unit: '/min' } } },
    ]);
    const out = m.map({ payload: { k: 1, ts: '2024-05-14T10:00:00Z', vitals: { hr_text: '72' }, samples: [{ kind: 'pr', value: 70 }, { kind: 'spo2', value: 96 }], tempTenths: 371, breathsPer10Min: 167 }, device });
    expect(out.observations.map((o) => o.valueQuantity?.value)).toEqual([72, 96, 37.1, 16]);
  });

  it('an expression that selects several values where one is expected is an issue', () => {
    const m = mapping({}, [{ code: SPO2, value: { quantity: { expression: '$.samples[*].value', unit: '%' } } }]);
    const e = failure(() => m.map({ payload: { k: 1, ts: '2024-05-14T10:00:00Z', samples: [{ value: 1 }, { value: 2 }] }, device }));
    expect(e.code).toBe(ERR_MAPPING_VALUE);
    expect(e.outcome.issue[0]?.details?.text).toMatch(/selects 2 values where one is expected/);
  });
});

describe('value types', () => {
  it('dataAbsentReason for a missing value (unknown) and one that is not a number (not-a-number), components too', () => {
    const m = mapping({}, [
      { code: HR, absent: 'data-absent-reason', value: { quantity: { path: '$.hr', unit: '/min' } } },
      { code: SPO2, absent: 'data-absent-reason', value: { quantity: { path: '$.spo2', unit: '%' } } },
      { code: { system: 'http://loinc.org', code: '85354-9' }, components: [
        { code: { system: 'http://loinc.org', code: '8480-6' }, value: { quantity: { path: '$.sys', unit: 'mm[Hg]' } } },
        { code: { system: 'http://loinc.org', code: '8462-4' }, absent: 'data-absent-reason', value: { quantity: { path: '$.dia', unit: 'mm[Hg]' } } },
      ] },
    ]);
    const [hr, spo2, bp] = m.map({ payload: { k: 1, ts: '2024-05-14T10:00:00Z', spo2: '---', sys: 120 }, device }).observations;
    const dar = (code: string) => ({ coding: [expect.objectContaining({ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code })] });
    expect(value(hr)).toEqual({ dataAbsentReason: dar('unknown') });
    expect(value(spo2)).toEqual({ dataAbsentReason: dar('not-a-number') });
    expect(bp?.component?.[1]).toEqual({ code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, dataAbsentReason: dar('unknown') });
  });

  it('codeableConcept from a code map: known values, the default, and an error for the rest', () => {
    const m = mapping({}, [{ code: { system: 'http://loinc.org', code: '8361-8' }, value: { codeableConcept: { path: '$.pos', text: 'Body position', map: { sit: { system: 'http://snomed.info/sct', code: '33586001', display: 'Sitting position' } } } } }]);
    const [o] = m.map({ payload: { k: 1, ts: '2024-05-14T10:00:00Z', pos: 'sit' }, device }).observations;
    expect(o?.valueCodeableConcept).toEqual({ coding: [{ system: 'http://snomed.info/sct', code: '33586001', display: 'Sitting position' }], text: 'Body position' });
    const e = failure(() => m.map({ payload: { k: 1, ts: '2024-05-14T10:00:00Z', pos: 'handstand' }, device }));
    expect(e.outcome.issue[0]).toMatchObject({ code: 'code-invalid', expression: ['pos'] });
  });

  it.each([
    [{ string: { path: '$.v' } }, 'note', { valueString: 'note' }],
    [{ boolean: { path: '$.v' } }, true, { valueBoolean: true }],
    [{ integer: { path: '$.v' } }, 12, { valueInteger: 12 }],
    [{ dateTime: { path: '$.v', format: 'epoch-s' } }, 1715678400, { valueDateTime: '2024-05-14T09:20:00Z' }],
    [{ range: { low: { path: '$.v.lo', unit: 'mm[Hg]' }, high: { path: '$.v.hi', unit: 'mm[Hg]' } } }, { lo: 80, hi: 120 },
      { valueRange: { low: { value: 80, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' }, high: { value: 120, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } } }],
    [{ ratio: { numerator: { path: '$.v.n', unit: 'mg' }, denominator: { path: '$.v.d', unit: 'mL' } } }, { n: 5, d: 100 },
      { valueRatio: { numerator: { value: 5, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' }, denominator: { value: 100, unit: 'mL', system: 'http://unitsofmeasure.org', code: 'mL' } } }],
  ])('%j', (spec, v, expected) => {
    const [o] = mapping({}, [{ code: HR, value: spec }]).map({ payload: { k: 1, ts: '2024-05-14T10:00:00Z', v }, device }).observations;
    expect(value(o)).toEqual(expected);
  });

  it('a window becomes effectivePeriod; a payload unit picks the conversion, and the trace shows it', () => {
    const m = mapping({}, [{ code: HR, period: { start: '$.from', end: '$.to' }, value: { quantity: { path: '$.w', from: { path: '$.u', units: { lb: '[lb_av]', kg: 'kg' } }, unit: 'kg', decimals: 1 } } }]);
    const trace: TraceStep[] = [];
    const [o] = m.map({ payload: { k: 1, ts: '2024-05-14T10:00:00Z', from: '2024-05-14T10:00:00Z', to: '2024-05-14T10:05:00Z', w: 154.3, u: 'lb' }, device }, trace).observations;
    expect(o?.effectivePeriod).toEqual({ start: '2024-05-14T10:00:00Z', end: '2024-05-14T10:05:00Z' });
    expect(o?.valueQuantity?.value).toBe(70);
    expect(trace).toContainEqual({ step: 'convert', at: 'observations[0].value.quantity', value: { input: 154.3, from: '[lb_av]', output: 70, to: 'kg', decimals: 1 } });
    expect(failure(() => m.map({ payload: { k: 1, ts: '2024-05-14T10:00:00Z', from: '2024-05-14T10:00:00Z', to: '2024-05-14T10:05:00Z', w: 1, u: 'stone' }, device })).outcome.issue[0]).toMatchObject({ code: 'value', expression: ['u'] });
  });
});

describe('match on the MQTT topic', () => {
  const m = compileMapping({ id: 'mqtt', title: 'MQTT', match: { topic: 'wards/+/bp/#' }, message: { timestamp: '$.ts' }, observations: [{ code: HR, value: { quantity: { path: '$.hr', unit: '/min' } } }] }, 'mqtt.yaml');
  it.each([['wards/3/bp', true], ['wards/3/bp/cuff-7', true], ['wards/3/spo2', false], ['wards/bp', false], [undefined, false]])('%s → %s', (topic, ok) => {
    const context = topic === undefined ? undefined : { topic };
    expect(m.matches({}, context)).toBe(ok);
    if (ok) expect(selectMapping([m], {}, undefined, context).id).toBe('mqtt');
    else expect(() => selectMapping([m], {}, undefined, context)).toThrow(/no mapping accepts/);
  });
});

describe('load errors of the new features name file and line', () => {
  it.each([
    [{ each: '$.r[' }, [], /lang\.yaml: each: /],
    [{}, [{ code: HR, value: { quantity: { expression: 'nope(x)', language: 'jmespath', unit: '/min' } } }], /observations\[0\]\.value\.quantity\.expression: JMESPath unknown function nope\(\)/],
    [{ match: { topic: 'a/#/b' } }, [], /match\.topic: "a\/#\/b" is not an MQTT topic filter/],
    [{}, [{ code: HR, value: { quantity: { path: '$.g', from: { path: '$.u', units: { mgdl: 'mg/dL' } }, unit: 'mmol/L', decimals: 1 } } }], /observations\[0\]\.value\.quantity\.from\.units\.mgdl: no conversion from mg\/dL to mmol\/L/],
  ])('%j', (extra, observations, reason) => {
    const e = failure(() => mapping(extra, observations.length ? observations : [{ code: HR, value: { quantity: { path: '$.hr', unit: '/min' } } }]));
    expect(e.code).toBe(ERR_MAPPING_INVALID);
    expect(e.message).toMatch(reason);
  });
});
