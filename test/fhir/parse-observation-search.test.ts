import { parseObservationSearch } from '../../src/fhir';
import { refusal } from './helpers';

const options = { defaultCount: 50, maxCount: 1000 };
const parse = (query: Record<string, string | string[] | undefined>) => parseObservationSearch(query, options);
const LOINC = 'http://loinc.org';
const CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';

describe('parseObservationSearch', () => {
  it('defaults to the default count, offset 0 and no filter', () => {
    expect(parse({})).toEqual({ count: 50, offset: 0 });
  });

  it.each([
    [{ patient: 'p1' }, ['Patient/p1']],
    [{ patient: 'Patient/p1' }, ['Patient/p1']],
    [{ subject: 'Patient/p-1.a' }, ['Patient/p-1.a']],
    [{ subject: 'p1,p2' }, ['Patient/p1', 'Patient/p2']],
    // Repetition ANDs: intersection of the OR-lists, also across patient and subject.
    [{ patient: 'p1,p2', subject: 'Patient/p2' }, ['Patient/p2']],
    [{ patient: ['p1,p2,p3', 'p3,p1'] }, ['Patient/p1', 'Patient/p3']],
  ])('reads %j as subject %j', (query, subject) => {
    expect(parse(query).subject).toEqual(subject);
  });

  it.each([
    [{ subject: 'Device/d1' }, 'subject'],
    [{ patient: 'Group/g1' }, 'patient'],
    [{ subject: 'http://169.254.169.254/fhir/Patient/1' }, 'subject'],
    [{ patient: 'Patient/1/_history/2' }, 'patient'],
    [{ patient: 'a b' }, 'patient'],
    [{ device: 'Patient/p1' }, 'device'],
    [{ patient: '' }, 'patient'],
    [{ code: 'a,,b' }, 'code'],
  ])('refuses %j naming %s', (query, expression) => {
    expect(refusal(() => parse(query))).toEqual({ code: 'ERR_SEARCH_PARAM_INVALID', status: 400, expression: [expression] });
  });

  it('refuses patient and subject that exclude each other, naming both', () => {
    expect(refusal(() => parse({ patient: 'A', subject: 'Patient/B' }))).toEqual({
      code: 'ERR_SEARCH_PARAM_INVALID',
      status: 400,
      expression: ['patient', 'subject'],
    });
  });

  it.each([
    [{ device: 'd1' }, ['Device/d1']],
    [{ device: 'Device/d1,d2' }, ['Device/d1', 'Device/d2']],
  ])('reads %j as device %j', (query, device) => {
    expect(parse(query).device).toEqual(device);
  });

  it.each([
    ['code', `${LOINC}|8867-4`, [[{ system: LOINC, code: '8867-4' }]]],
    ['code', '8867-4', [[{ code: '8867-4' }]]],
    ['code', `${LOINC}|8867-4,${LOINC}|59408-5`, [[{ system: LOINC, code: '8867-4' }, { system: LOINC, code: '59408-5' }]]],
    ['code', ['8867-4', '59408-5'], [[{ code: '8867-4' }], [{ code: '59408-5' }]]],
    ['code', 'a\\,b\\|c', [[{ code: 'a,b|c' }]]],
    ['category', `${CAT}|vital-signs`, [[{ system: CAT, code: 'vital-signs' }]]],
    ['category', 'vital-signs', [[{ code: 'vital-signs' }]]],
  ] as const)('reads %s=%j as tokens', (name, value, tokens) => {
    expect(parse({ [name]: value as string | string[] })[name]).toEqual(tokens);
  });

  it.each(['|8867-4', `${LOINC}|`, 'a|b|c'])('refuses the token %s', (value) => {
    expect(refusal(() => parse({ code: value })).expression).toEqual(['code']);
  });

  it('ANDs repeated date parameters', () => {
    expect(parse({ date: ['ge2024-03-01', 'lt2024-04'] }).date).toEqual([
      { prefix: 'ge', start: Date.parse('2024-03-01T00:00:00Z'), end: Date.parse('2024-03-02T00:00:00Z') },
      { prefix: 'lt', start: Date.parse('2024-04-01T00:00:00Z'), end: Date.parse('2024-05-01T00:00:00Z') },
    ]);
  });

  it('refuses an OR of dates', () => {
    expect(refusal(() => parse({ date: '2024,2025' }))).toEqual({
      code: 'ERR_SEARCH_PARAM_UNSUPPORTED',
      status: 400,
      expression: ['date'],
    });
  });

  it.each([
    ['1', 1],
    ['0', 0],
    ['999', 999],
    ['1000', 1000],
    ['1001', 1000],
    ['1000000000', 1000],
    ['99999999999999999999999', 1000],
  ])('_count=%s → %i', (value, count) => {
    expect(parse({ _count: value }).count).toBe(count);
  });

  it('clamps the default count to the maximum', () => {
    expect(parseObservationSearch({}, { defaultCount: 50, maxCount: 10 }).count).toBe(10);
  });

  it.each([
    ['_count', '-1'],
    ['_count', '1.5'],
    ['_count', 'ten'],
    ['_count', ['1', '2']],
    ['_offset', '-5'],
    ['_offset', '99999999999999999'],
    ['_sort', 'date,-date'],
  ] as const)('refuses %s=%j', (name, value) => {
    expect(refusal(() => parse({ [name]: value as string | string[] }))).toMatchObject({ status: 400, expression: [name] });
  });

  it('reads _offset', () => {
    expect(parse({ _offset: '150' }).offset).toBe(150);
  });

  it.each(['date', '-date'] as const)('accepts _sort=%s', (sort) => {
    expect(parse({ _sort: sort }).sort).toBe(sort);
  });

  it.each(['code', '_lastUpdated', '-code'])('refuses _sort=%s', (value) => {
    expect(refusal(() => parse({ _sort: value }))).toEqual({ code: 'ERR_SEARCH_PARAM_UNSUPPORTED', status: 400, expression: ['_sort'] });
  });

  it.each(['json', 'application/json', 'application/fhir+json', 'application/fhir json'])('tolerates _format=%s', (value) => {
    expect(parse({ _format: value })).toEqual({ count: 50, offset: 0 });
  });

  it('refuses _format=xml', () => {
    expect(refusal(() => parse({ _format: 'xml' })).expression).toEqual(['_format']);
  });

  it.each([
    ['_include', 'Observation:subject', 'ERR_SEARCH_PARAM_UNSUPPORTED'],
    ['_include:iterate', 'Observation:subject', 'ERR_SEARCH_PARAM_UNSUPPORTED'],
    ['_revinclude', 'Provenance:target', 'ERR_SEARCH_PARAM_UNSUPPORTED'],
    ['_has', 'Observation:subject:code=1', 'ERR_SEARCH_PARAM_UNSUPPORTED'],
    ['subject.name', 'Smith', 'ERR_SEARCH_PARAM_UNSUPPORTED'],
    ['patient.identifier', 'x|1', 'ERR_SEARCH_PARAM_UNSUPPORTED'],
    ['code:text', 'pulse', 'ERR_SEARCH_PARAM_UNSUPPORTED'],
    ['subject:Patient', 'p1', 'ERR_SEARCH_PARAM_UNSUPPORTED'],
    ['code:not', '1', 'ERR_SEARCH_PARAM_UNSUPPORTED'],
    ['value-quantity', '1', 'ERR_SEARCH_PARAM_UNKNOWN'],
    ['_summary', 'count', 'ERR_SEARCH_PARAM_UNKNOWN'],
    ['_elements', 'id', 'ERR_SEARCH_PARAM_UNKNOWN'],
    ['Patient', 'p1', 'ERR_SEARCH_PARAM_UNKNOWN'],
    ['foo:bar', 'x', 'ERR_SEARCH_PARAM_UNKNOWN'],
    ['access_token', 'x', 'ERR_SEARCH_PARAM_UNKNOWN'],
  ])('refuses %s naming it in expression', (name, value, code) => {
    expect(refusal(() => parse({ patient: 'p1', [name]: value }))).toEqual({ code, status: 400, expression: [name] });
  });

  it('ignores parameters whose value is undefined', () => {
    expect(parse({ patient: undefined, _include: undefined })).toEqual({ count: 50, offset: 0 });
  });

  it('refuses a value that is not text (e.g. a nested object from a query parser)', () => {
    const query = { code: { a: 1 } } as unknown as Record<string, string>;
    expect(refusal(() => parse(query)).expression).toEqual(['code']);
  });

  describe('cost limits (security case 22)', () => {
    it('accepts 50 values for one parameter', () => {
      const values = Array.from({ length: 50 }, (_, i) => `c${i}`).join(',');
      expect(parse({ code: values }).code?.[0]).toHaveLength(50);
    });

    it.each([
      ['51 comma-separated values', Array.from({ length: 51 }, (_, i) => `c${i}`).join(',')],
      ['51 repetitions', Array.from({ length: 51 }, (_, i) => `c${i}`)],
      ['1,000 repetitions', Array.from({ length: 1000 }, () => 'c')],
    ])('refuses %s', (_label, value) => {
      expect(refusal(() => parse({ code: value }))).toEqual({ code: 'ERR_SEARCH_TOO_MANY_VALUES', status: 400, expression: ['code'] });
    });

    it('refuses more than 100 occurrences in total across parameters', () => {
      const many = Array.from({ length: 40 }, () => 'x');
      expect(refusal(() => parse({ code: many, category: many, patient: many })).code).toBe('ERR_SEARCH_TOO_MANY_VALUES');
    });

    it('refuses a value over 1024 characters', () => {
      expect(refusal(() => parse({ code: 'x'.repeat(1025) })).code).toBe('ERR_SEARCH_PARAM_INVALID');
    });
  });

  it('treats invalid options as a programming error (TypeError)', () => {
    expect(() => parseObservationSearch({}, { defaultCount: 0, maxCount: 10 })).toThrow(TypeError);
  });
});
