import type { Observation } from 'fhir/r4';
import { searchsetBundle } from '../../src/fhir';

const obs = (id: string): Observation => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'x' } });
const base = 'http://host/fhir';

function bundle(total: number, count: number, offset: number, params: Record<string, string | string[] | undefined> = {}) {
  return searchsetBundle({ baseUrl: base, resourceType: 'Observation', params, total, resources: [obs('a'), obs('b')], count, offset });
}

const relations = (b: ReturnType<typeof bundle>) => Object.fromEntries((b.link ?? []).map((l) => [l.relation, l.url]));

describe('searchsetBundle', () => {
  it('is a searchset with total and match entries with full URLs', () => {
    const b = bundle(2, 10, 0);
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 2 });
    expect(b.entry).toEqual([
      { fullUrl: `${base}/Observation/a`, resource: obs('a'), search: { mode: 'match' } },
      { fullUrl: `${base}/Observation/b`, resource: obs('b'), search: { mode: 'match' } },
    ]);
  });

  it.each([
    // total, count, offset, next offset, previous offset
    [2, 10, 0, undefined, undefined],
    [10, 2, 0, 2, undefined],
    [10, 2, 8, undefined, 6],
    [10, 2, 4, 6, 2],
    [10, 3, 1, 4, 0],
    [10, 0, 0, undefined, undefined],
  ])('total %i, _count %i, _offset %i → next %s, previous %s', (total, count, offset, next, previous) => {
    const links = relations(bundle(total, count, offset, { patient: 'p1' }));
    expect(links.self).toBe(`${base}/Observation?patient=p1&_count=${count}&_offset=${offset}`);
    expect(links.next).toBe(next === undefined ? undefined : `${base}/Observation?patient=p1&_count=${count}&_offset=${next}`);
    expect(links.previous).toBe(
      previous === undefined ? undefined : `${base}/Observation?patient=p1&_count=${count}&_offset=${previous}`,
    );
  });

  it('rebuilds the query URL-encoded, with repeated values, replacing _count and _offset', () => {
    const b = searchsetBundle({
      baseUrl: `${base}/`,
      resourceType: 'Observation',
      params: { code: ['http://loinc.org|8867-4,x', 'y z'], _count: '1000000', _offset: '3', date: 'lt2024-03-01T10:00:00+02:00', skip: undefined },
      total: 100,
      resources: [],
      count: 50,
      offset: 3,
    });
    expect(relations(b).next).toBe(
      `${base}/Observation?code=http%3A%2F%2Floinc.org%7C8867-4%2Cx&code=y%20z&date=lt2024-03-01T10%3A00%3A00%2B02%3A00&_count=50&_offset=53`,
    );
    expect(b.entry).toEqual([]);
  });

  it('refuses a resource without id as a programming error', () => {
    expect(() =>
      searchsetBundle({ baseUrl: base, resourceType: 'Device', params: {}, total: 1, resources: [{ resourceType: 'Device' }], count: 1, offset: 0 }),
    ).toThrow(TypeError);
  });
});
