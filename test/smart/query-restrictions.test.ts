import type { Device, Observation } from 'fhir/r4';
import { FhirError } from '../../src/errors/fhir-error';
import { restrictionFilter, restrictSearch, satisfiesRestriction, type SearchFilter } from '../../src/smart/query-restrictions';

const CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';
const LOINC = 'http://loinc.org';

const observation = (category: string, code: string, subject = 'Patient/A'): Observation => ({
  resourceType: 'Observation', status: 'final',
  category: [{ coding: [{ system: CAT, code: category }] }],
  code: { coding: [{ system: LOINC, code }] },
  subject: { reference: subject }, device: { reference: 'Device/d1' },
});

const filter = (type: string, query: Record<string, string>): SearchFilter => {
  const f = restrictionFilter(type, query);
  if (f === undefined) throw new Error('expected an enforceable restriction');
  return f;
};

describe('restrictionFilter', () => {
  it('parses category and code restrictions as token searches', () => {
    expect(filter('Observation', { category: `${CAT}|vital-signs` })).toEqual({ category: [[{ system: CAT, code: 'vital-signs' }]] });
    expect(filter('Observation', { code: `${LOINC}|8867-4,${LOINC}|59408-5` })).toEqual({
      code: [[{ system: LOINC, code: '8867-4' }, { system: LOINC, code: '59408-5' }]],
    });
    expect(filter('Device', { patient: 'A' })).toEqual({ patient: ['Patient/A'] });
  });

  it.each([
    ['Observation', { date: 'ge2024-01-01' }], // not enforceable on reads
    ['Observation', { _count: '5' }],
    ['Observation', { 'code:text': 'x' }],
    ['Observation', { category: '|x' }], // malformed token
    ['Observation', { identifier: 'x' }], // not an Observation restriction we support
    ['Device', { category: 'vital-signs' }],
    ['Patient', { name: 'x' }],
  ])('%s %j cannot be enforced → undefined (grants nothing)', (type, query) => {
    expect(restrictionFilter(type, query)).toBeUndefined();
  });
});

describe('satisfiesRestriction (reads, SECURITY-CASES 15)', () => {
  const vitals = [filter('Observation', { category: `${CAT}|vital-signs` })];

  it.each([
    [observation('vital-signs', '8867-4'), vitals, true],
    [observation('laboratory', '2345-7'), vitals, false],
    [observation('vital-signs', '8867-4'), [filter('Observation', { category: 'vital-signs' })], true], // no system: any
    [observation('vital-signs', '8867-4'), [filter('Observation', { category: 'other|vital-signs' })], false],
    [observation('vital-signs', '8867-4'), [filter('Observation', { code: `${LOINC}|2345-7` })], false],
    [observation('laboratory', '2345-7'), [...vitals, filter('Observation', { code: `${LOINC}|2345-7` })], true], // any one suffices
    [observation('vital-signs', '8867-4', 'Patient/B'), [filter('Observation', { category: 'vital-signs', patient: 'A' })], false],
  ])('%#', (resource, filters, expected) => {
    expect(satisfiesRestriction(resource, filters)).toBe(expected);
  });

  it('matches Device identifiers and patients', () => {
    const device: Device = { resourceType: 'Device', identifier: [{ system: 'urn:s', value: 'v1' }], patient: { reference: 'Patient/A' } };
    expect(satisfiesRestriction(device, [filter('Device', { identifier: 'urn:s|v1' })])).toBe(true);
    expect(satisfiesRestriction(device, [filter('Device', { identifier: 'urn:s|v2' })])).toBe(false);
    expect(satisfiesRestriction(device, [filter('Device', { patient: 'B' })])).toBe(false);
  });
});

describe('restrictSearch', () => {
  const vitals = filter('Observation', { category: `${CAT}|vital-signs` });
  const base: SearchFilter & { count: number; offset: number } = { count: 10, offset: 0 };

  it('ANDs one restriction into the query', () => {
    expect(restrictSearch({ ...base, category: [[{ code: 'laboratory' }]] }, [vitals])).toEqual({
      ...base, category: [[{ code: 'laboratory' }], [{ system: CAT, code: 'vital-signs' }]],
    });
  });

  it('merges alternatives on one parameter into an OR list', () => {
    const labs = filter('Observation', { category: `${CAT}|laboratory` });
    expect(restrictSearch(base, [vitals, labs])).toEqual({
      ...base, category: [[{ system: CAT, code: 'vital-signs' }, { system: CAT, code: 'laboratory' }]],
    });
  });

  it('intersects references and reports an empty intersection as "nothing"', () => {
    const own = filter('Observation', { device: 'd1' });
    expect(restrictSearch({ ...base, device: ['Device/d1', 'Device/d2'] }, [own])).toEqual({ ...base, device: ['Device/d1'] });
    expect(restrictSearch({ ...base, device: ['Device/d2'] }, [own])).toBeUndefined();
  });

  it('refuses alternatives that one query cannot express (403, never wider)', () => {
    const code = filter('Observation', { code: `${LOINC}|2345-7` });
    let error: unknown;
    try {
      restrictSearch(base, [vitals, code]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FhirError);
    expect(error).toMatchObject({ code: 'ERR_SCOPE_QUERY_COMBINATION', status: 403 });
  });
});
