import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  compileMapping, ERR_MAPPING_EMPTY, ERR_MAPPING_VALUE, ERR_PATIENT_MISMATCH, ERR_PATIENT_UNRESOLVED,
  loadMappings, type CompiledMapping, type MapInput,
} from '../../src/mapping';
import { FhirError } from '../../src/errors/fhir-error';

const mappings = loadMappings(join(__dirname, '..', '..', 'mappings'));
const byId = (id: string): CompiledMapping => mappings.find((m) => m.id === id) as CompiledMapping;
const oximeter = byId('pulse-oximeter');
const bp = byId('bp-cuff');
const ecg = byId('ecg-patch');

const device = { deviceId: 'dev-1', patient: 'Patient/p1' };
const oxPayload = () => ({ type: 'pulse-oximeter', messageId: 'm-1', timestamp: '2024-05-14T09:30:00+02:00', device: { serial: 'S1' }, spo2: 97, pulseRate: 72 });

const failure = (mapping: CompiledMapping, input: MapInput): FhirError => {
  try {
    mapping.map(input);
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('mapped without error');
};

/** A small inline mapping for features the four families do not use. */
const inline = (extra: Record<string, unknown>, observations?: unknown[]) => compileMapping({
  id: 'inline', title: 'Inline', match: { path: '$.k', exists: true }, message: { timestamp: '$.ts' },
  observations: observations ?? [{ code: { system: 'http://loinc.org', code: '8867-4' }, value: { quantity: { path: '$.hr', unit: '/min' } } }],
  ...extra,
}, 'inline.yaml');

describe('deterministic identifiers', () => {
  it('identifier = <deviceId>/<messageId>/<code>, id = first 40 hex of its sha256', () => {
    const [spo2] = oximeter.map({ payload: oxPayload(), device }).observations;
    const value = 'dev-1/m-1/2708-6';
    expect(spo2?.identifier).toEqual([{ system: 'urn:iomt-bridge:observation', value }]);
    expect(spo2?.id).toBe(createHash('sha256').update(value).digest('hex').slice(0, 40));
    expect(spo2?.id).toMatch(/^[0-9a-f]{40}$/);
  });

  it('without a message id the normalised UTC timestamp is the key: the same instant gives the same id', () => {
    const a = oximeter.map({ payload: { ...oxPayload(), messageId: undefined, timestamp: '2024-05-14T09:30:00+02:00' }, device });
    const b = oximeter.map({ payload: { ...oxPayload(), messageId: undefined, timestamp: '2024-05-14T07:30:00Z' }, device });
    expect(a.observations[0]?.identifier?.[0]?.value).toBe('dev-1/2024-05-14T07:30:00Z/2708-6');
    expect(b.observations[0]?.id).toBe(a.observations[0]?.id);
    expect(b.observations[0]?.effectiveDateTime).toBe('2024-05-14T07:30:00Z'); // the offset is still kept as sent
  });

  it('differs by device, message and code', () => {
    const ids = [
      oximeter.map({ payload: oxPayload(), device }),
      oximeter.map({ payload: oxPayload(), device: { ...device, deviceId: 'dev-2' } }),
      oximeter.map({ payload: { ...oxPayload(), messageId: 'm-2' }, device }),
    ].flatMap((o) => o.observations.map((x) => x.id));
    expect(new Set(ids).size).toBe(6);
  });

  it('integer message ids become text', () => {
    const out = bp.map({ payload: { kind: 'bp', seq: 7, measuredAt: '2024-03-10T08:15:00-04:00', reading: { sys: 120, dia: 80, pulse: 60 } }, device });
    expect(out.observations[0]?.identifier?.[0]?.value).toBe('dev-1/7/85354-9');
  });
});

describe('server-owned fields (security case 19: mass assignment)', () => {
  it('payload id/status/meta/subject/device fields never reach the resources', () => {
    const payload = {
      ...oxPayload(), id: 'evil', status: 'entered-in-error', meta: { security: [{ code: 'R' }] }, resourceType: 'Patient',
      subject: { reference: 'Patient/other' }, patient: 'Patient/other', deviceId: 'dev-other',
      device: { serial: 'S1', id: 'evil', status: 'inactive', deviceId: 'dev-other', patient: 'Patient/other' },
    };
    const out = oximeter.map({ payload, device });
    expect(out.device).toMatchObject({ resourceType: 'Device', id: 'dev-1', status: 'active', patient: { reference: 'Patient/p1' } });
    // meta comes from the mapping (its declared profiles), never from the payload's `meta`.
    expect(out.device.meta).toEqual({ profile: ['https://iomt-bridge.dev/fhir/StructureDefinition/iomt-device'] });
    for (const o of out.observations) {
      expect(o).toMatchObject({ resourceType: 'Observation', status: 'final', subject: { reference: 'Patient/p1' }, device: { reference: 'Device/dev-1' } });
      expect(o.meta).toEqual({ profile: [expect.stringMatching(/^http:\/\/hl7\.org\/fhir\/StructureDefinition\//), 'https://iomt-bridge.dev/fhir/StructureDefinition/iomt-numeric-observation'] });
      expect(o.id).not.toBe('evil');
    }
  });
});

describe('patient resolution', () => {
  const fromPayload = inline({ subject: { path: '$.patient' } });
  const base = { k: 1, ts: '2024-05-14T09:30:00Z', hr: 60 };

  it.each([
    ['registry only', base, 'Patient/p1', 'Patient/p1'],
    ['payload "Patient/id", no registry link', { ...base, patient: 'Patient/p9' }, undefined, 'Patient/p9'],
    ['payload bare id, no registry link', { ...base, patient: 'p9' }, undefined, 'Patient/p9'],
    ['payload and registry agree', { ...base, patient: 'p1' }, 'Patient/p1', 'Patient/p1'],
  ])('%s', (_name, payload, patient, expected) => {
    const out = fromPayload.map({ payload, device: { deviceId: 'dev-1', patient } });
    expect(out.observations[0]?.subject).toEqual({ reference: expected });
    expect(out.device.patient).toEqual({ reference: expected });
  });

  it('payload and registry disagree → ERR_PATIENT_MISMATCH', () => {
    const e = failure(fromPayload, { payload: { ...base, patient: 'Patient/p2' }, device, location: 'item[1]' });
    expect(e).toMatchObject({ code: ERR_PATIENT_MISMATCH, status: 422 });
    expect(e.outcome.issue[0]?.expression).toEqual(['item[1].patient']);
  });

  it('nobody → ERR_PATIENT_UNRESOLVED with a clear text, never a silent drop', () => {
    const e = failure(oximeter, { payload: oxPayload(), device: { deviceId: 'dev-1' } });
    expect(e).toMatchObject({ code: ERR_PATIENT_UNRESOLVED, status: 422 });
    expect(e.message).toMatch(/not linked to a patient/);
    expect(e.outcome.issue[0]?.expression).toEqual(['Observation.subject']);
    const e2 = failure(fromPayload, { payload: base, device: { deviceId: 'dev-1' } });
    expect(e2.message).toMatch(/no patient at \$\.patient/);
  });

  it('a malformed payload patient is an error', () => {
    for (const patient of ['Patient/', 'Practitioner/1', 'a b', 42, { reference: 'Patient/1' }]) {
      expect(failure(fromPayload, { payload: { ...base, patient }, device })).toMatchObject({ code: ERR_PATIENT_UNRESOLVED });
    }
  });
});

describe('value errors are 422 OperationOutcomes naming the payload element', () => {
  it.each([
    ['string where a number is required', { spo2: '97' }, 'item[2].spo2', 'value', /expected a finite number at \$\.spo2, got string "97"/],
    ['object where a number is required', { spo2: { v: 97 } }, 'item[2].spo2', 'value', /got object/],
    ['huge number that parsed to Infinity', { spo2: JSON.parse('1e400') as number }, 'item[2].spo2', 'value', /got Infinity/],
    ['required value missing', { spo2: undefined }, 'item[2].spo2', 'required', /required value is missing \(nothing at \$\.spo2\)/],
    ['required value null', { spo2: null }, 'item[2].spo2', 'required', /required value is missing/],
    ['timestamp missing', { timestamp: undefined }, 'item[2].timestamp', 'required', /timestamp is missing/],
    ['timestamp unparseable', { timestamp: 'yesterday' }, 'item[2].timestamp', 'value', /not an ISO 8601 date-time/],
    ['timestamp a number in an iso8601 mapping', { timestamp: 1715678400 }, 'item[2].timestamp', 'value', /expected an ISO 8601 string/],
    ['message id an object', { messageId: { a: 1 } }, 'item[2].messageId', 'value', /message id/],
    ['serial an array', { device: { serial: ['S1'] } }, 'item[2].device.serial', 'value', /device serial/],
  ])('%s', (_name, change, expression, code, text) => {
    const e = failure(oximeter, { payload: { ...oxPayload(), ...change }, device, location: 'item[2]' });
    expect(e).toMatchObject({ code: ERR_MAPPING_VALUE, status: 422 });
    expect(e.outcome.issue).toEqual([expect.objectContaining({ severity: 'error', code, expression: [expression] })]);
    expect(e.outcome.issue[0]?.diagnostics).toMatch(text);
  });

  it('collects every problem of an item in one outcome; without location the payload path alone', () => {
    const e = failure(oximeter, { payload: { ...oxPayload(), spo2: 'x', pulseRate: true }, device });
    expect(e.outcome.issue.map((i) => i.expression?.[0])).toEqual(['spo2', 'pulseRate']);
  });

  it('an optional observation whose value is absent is skipped; one present but wrong is still an error', () => {
    expect(oximeter.map({ payload: { ...oxPayload(), pulseRate: undefined }, device }).observations.map((o) => o.code.coding?.[0]?.code)).toEqual(['2708-6']);
    expect(failure(oximeter, { payload: { ...oxPayload(), pulseRate: 'n/a' }, device }).code).toBe(ERR_MAPPING_VALUE);
  });

  it('a blood pressure component that is missing is an error naming it', () => {
    const e = failure(bp, { payload: { kind: 'bp', measuredAt: '2024-03-10T08:15:00-04:00', reading: { sys: 120, pulse: 60 } }, device });
    expect(e.outcome.issue).toHaveLength(1);
    expect(e.outcome.issue[0]).toMatchObject({ code: 'required', expression: ['reading.dia'] });
    expect(e.outcome.issue[0]?.diagnostics).toMatch(/component 8462-4/);
  });

  it('a payload with no reading at all is ERR_MAPPING_EMPTY, not an empty success', () => {
    const everythingOptional = inline({}, [{ code: { system: 'http://loinc.org', code: '8867-4' }, optional: true, value: { quantity: { path: '$.hr', unit: '/min' } } }]);
    const e = failure(everythingOptional, { payload: { k: 1, ts: '2024-05-14T09:30:00Z' }, device, location: 'item[0]' });
    expect(e).toMatchObject({ code: ERR_MAPPING_EMPTY, status: 422 });
    expect(e.outcome.issue[0]?.expression).toEqual(['item[0]']);
  });
});

describe('sampled data', () => {
  const strip = (ecgPart: Record<string, unknown>) => ({ family: 'ecg-patch', start: '2024-05-14T11:00:00Z', ecg: { sampleRateHz: 250, hr: 60, leadI: [0.1, 0.2], ...ecgPart } });

  it.each([
    [{ leadI: [] }, 'ecg.leadI', /non-empty array/],
    [{ leadI: '0.1 0.2' }, 'ecg.leadI', /non-empty array/],
    [{ leadI: [0.1, 'x', 0.3] }, 'ecg.leadI[1]', /sample 1/],
    [{ sampleRateHz: 0 }, 'ecg.sampleRateHz', /must be > 0/],
    [{ sampleRateHz: '250' }, 'ecg.sampleRateHz', /expected a finite number/],
    [{ sampleRateHz: undefined }, 'ecg.sampleRateHz', /no frequencyHz/],
  ])('%p → issue at %s', (part, expression, text) => {
    const e = failure(ecg, { payload: strip(part), device });
    expect(e.outcome.issue[0]?.expression).toEqual([expression]);
    expect(e.outcome.issue[0]?.diagnostics).toMatch(text);
  });

  it('periodMs constant, factor and limits, dimensions check', () => {
    const two = inline({}, [{ code: { system: 'urn:oid:2.16.840.1.113883.6.24', code: '131329' },
      value: { sampledData: { path: '$.w', origin: { value: 0, unit: 'mV' }, periodMs: 2, factor: 0.001, lowerLimit: -5, upperLimit: 5, dimensions: 2 } } }]);
    const out = two.map({ payload: { k: 1, ts: '2024-05-14T09:30:00Z', w: [1, 2, 3, 4] }, device });
    expect(out.observations[0]?.valueSampledData).toEqual({
      origin: { value: 0, unit: 'mV', system: 'http://unitsofmeasure.org', code: 'mV' },
      period: 2, factor: 0.001, lowerLimit: -5, upperLimit: 5, dimensions: 2, data: '1 2 3 4',
    });
    expect(failure(two, { payload: { k: 1, ts: '2024-05-14T09:30:00Z', w: [1, 2, 3] }, device }).message).toMatch(/not a multiple of 2/);
  });
});

describe('mapping features', () => {
  it('epoch seconds, constants, expression sources, device type and conversions', () => {
    const m = inline({
      message: { timestamp: { expression: '$.time', language: 'jsonpath', format: 'epoch-s' } },
      device: { manufacturer: { const: 'Acme' }, firmware: '$.fw', type: { system: 'urn:example:device-type', code: 'scale' } },
    }, [{ code: { system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }, category: 'vital-signs',
      value: { quantity: { path: '$.lb', from: '[lb_av]', unit: 'kg', decimals: 1 } } }]);
    const out = m.map({ payload: { k: 1, time: 1715678400, fw: 3, lb: 154.3 }, device });
    expect(out.device).toMatchObject({ manufacturer: 'Acme', version: [{ type: { coding: [{ system: 'urn:iso:std:iso:11073:10101', code: '531976', display: 'MDC_ID_PROD_SPEC_FW' }] }, value: '3' }], type: { coding: [{ system: 'urn:example:device-type', code: 'scale' }] } });
    expect(out.observations[0]).toMatchObject({ effectiveDateTime: '2024-05-14T09:20:00Z', valueQuantity: { value: 70, unit: 'kg', code: 'kg' } });
    expect(out.observations[0]?.meta).toBeUndefined(); // no profile declared, none claimed
  });

  it('decimals without conversion round the device value', () => {
    const m = inline({}, [{ code: { system: 'http://loinc.org', code: '8867-4' }, value: { quantity: { path: '$.hr', unit: '/min', decimals: 0 } } }]);
    expect(m.map({ payload: { k: 1, ts: '2024-05-14T09:30:00Z', hr: 71.5 }, device }).observations[0]?.valueQuantity?.value).toBe(72);
  });

  it('a device without serial still carries the registry identifier', () => {
    const out = inline({}).map({ payload: { k: 1, ts: '2024-05-14T09:30:00Z', hr: 60 }, device });
    expect(out.device).toEqual({
      resourceType: 'Device', id: 'dev-1', identifier: [{ system: 'urn:iomt-bridge:device', value: 'dev-1' }],
      status: 'active', patient: { reference: 'Patient/p1' },
    });
  });

  it('match rules: equals, in, exists, all, any, not — strict equality, no coercion', () => {
    const m = (match: unknown) => inline({ match });
    expect(m({ path: '$.a', equals: 1 }).matches({ a: '1' })).toBe(false);
    expect(m({ path: '$.a', in: ['x', 2] }).matches({ a: 2 })).toBe(true);
    expect(m({ path: '$.a', exists: false }).matches({ b: 1 })).toBe(true);
    expect(m({ not: { path: '$.a', exists: true } }).matches({ a: null })).toBe(false);
    const both = m({ all: [{ path: '$.a', equals: 1 }, { any: [{ path: '$.b', equals: 2 }, { path: '$.c', exists: true }] }] });
    expect([both.matches({ a: 1, b: 2 }), both.matches({ a: 1, c: 0 }), both.matches({ a: 1 }), both.matches('text')]).toEqual([true, true, false, false]);
  });
});
