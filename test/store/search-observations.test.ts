import type { Observation } from 'fhir/r4';
import type { DateBound, ObservationQuery } from '../../src/store';
import { commitOf, LOINC, observation, STORE_ENGINES, tempStore, type TempStore } from './store-fixtures';

const D = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;
const T10 = Date.UTC(2024, 0, 1, 10);

/** Observations placed around the day 2024-01-01 (UTC). */
const TIMELINE: Observation[] = [
  observation({ id: 'far', effective: '2023-06-01' }),
  observation({ id: 'prev', effective: '2023-12-31T23:59:59Z' }),
  observation({ id: 'day', effective: '2024-01-01' }),
  observation({ id: 'inst', effective: '2024-01-01T10:00:00Z' }),
  observation({ id: 'open', effective: { start: '2024-01-01T12:00:00Z' } }),
  observation({ id: 'period', effective: { start: '2024-01-01T22:00:00Z', end: '2024-01-02T02:00:00Z' } }),
  observation({ id: 'next', effective: '2024-01-02T00:00:00Z' }),
  observation({ id: 'offset', effective: '2024-01-01T23:30:00-05:00' }), // 2024-01-02T04:30Z
  observation({ id: 'none' }),
];

const ids = (resources: Observation[]): string[] => resources.map((r) => r.id ?? '');

describe.each(STORE_ENGINES)('searchObservations, $adapter', ({ kind }) => {
  let t: TempStore;
  const search = async (q: Partial<ObservationQuery>) => t.store.searchObservations({ count: 100, offset: 0, ...q });
  const matching = async (q: Partial<ObservationQuery>) => ids((await search(q)).resources).sort();

  beforeEach(async () => {
    t = await tempStore(kind);
  });
  afterEach(() => t.cleanup());

  describe('date prefixes (https://hl7.org/fhir/R4/search.html#prefix)', () => {
    beforeEach(async () => {
      await t.store.commitIngest(commitOf(TIMELINE));
    });
    const day = (prefix: DateBound['prefix']): DateBound => ({ prefix, start: D, end: D + DAY });
    const second = (prefix: DateBound['prefix']): DateBound => ({ prefix, start: T10, end: T10 + 1000 });

    it.each<[DateBound, string[]]>([
      [day('eq'), ['day', 'inst']],
      [day('ne'), ['far', 'next', 'offset', 'open', 'period', 'prev']],
      [day('gt'), ['next', 'offset', 'open', 'period']],
      [day('lt'), ['far', 'prev']],
      [day('ge'), ['day', 'inst', 'next', 'offset', 'open', 'period']],
      [day('le'), ['day', 'far', 'inst', 'prev']],
      [day('sa'), ['next', 'offset']],
      [day('eb'), ['far', 'prev']],
      [day('ap'), ['day', 'inst', 'next', 'offset', 'open', 'period', 'prev']],
      [second('eq'), ['inst']],
      [second('ge'), ['day', 'inst', 'next', 'offset', 'open', 'period']],
      [second('lt'), ['day', 'far', 'prev']],
      [second('gt'), ['day', 'next', 'offset', 'open', 'period']],
    ])('%o', async (bound, expected) => {
      expect(await matching({ date: [bound] })).toEqual(expected);
    });

    it('ANDs several bounds (a closed interval)', async () => {
      expect(await matching({ date: [day('ge'), { prefix: 'lt', start: D + DAY, end: D + 2 * DAY }] })).toEqual([
        'day',
        'inst',
        'open',
        'period',
      ]);
    });

    it('refuses a non-finite bound', async () => {
      await expect(search({ date: [{ prefix: 'eq', start: NaN, end: 1 }] })).rejects.toMatchObject({ code: 'ERR_SEARCH_DATE_INVALID' });
    });
  });

  describe('sort and paging', () => {
    beforeEach(async () => {
      await t.store.commitIngest(commitOf(TIMELINE));
    });

    it('sorts newest first by default, undated last', async () => {
      expect(ids((await search({})).resources)).toEqual(['offset', 'next', 'period', 'open', 'inst', 'day', 'prev', 'far', 'none']);
    });

    it('sorts oldest first with `date`, undated last', async () => {
      expect(ids((await search({ sort: 'date' })).resources)).toEqual(['far', 'prev', 'day', 'inst', 'open', 'period', 'next', 'offset', 'none']);
    });

    it('returns the total of all matches and the requested page', async () => {
      const page = await search({ count: 3, offset: 3 });
      expect(page.total).toBe(9);
      expect(ids(page.resources)).toEqual(['open', 'inst', 'day']);
      expect(await search({ count: 0, offset: 0 })).toEqual({ total: 9, resources: [] });
      expect((await search({ count: 5, offset: 100 })).resources).toEqual([]);
    });

    it.each([
      [{ count: -1 }, 'ERR_SEARCH_COUNT_INVALID'],
      [{ count: 1.5 }, 'ERR_SEARCH_COUNT_INVALID'],
      [{ offset: -3 }, 'ERR_SEARCH_OFFSET_INVALID'],
    ])('refuses paging %o', async (paging, code) => {
      await expect(search(paging)).rejects.toMatchObject({ code, status: 400 });
    });
  });

  it('breaks ties on id so pages are stable', async () => {
    const at = '2024-01-01T10:00:00Z';
    await t.store.commitIngest(commitOf(['c', 'a', 'b'].map((id) => observation({ id, effective: at }))));
    expect(ids((await search({ sort: 'date' })).resources)).toEqual(['a', 'b', 'c']);
    expect(ids((await search({ sort: '-date' })).resources)).toEqual(['a', 'b', 'c']);
    expect(ids((await search({ count: 1, offset: 1 })).resources)).toEqual(['b']);
  });

  describe('reference and token parameters', () => {
    beforeEach(async () => {
      const both = observation({ id: 'both', subject: 'Patient/p2', code: '8480-6', category: 'vital-signs' });
      both.code.coding?.push({ system: 'urn:vendor', code: 'SYS' });
      await t.store.commitIngest(
        commitOf([
          observation({ id: 'hr1', subject: 'Patient/p1', device: 'Device/d1', code: '8867-4', category: 'vital-signs' }),
          observation({ id: 'hr2', subject: 'Patient/p2', device: 'Device/d2', code: '8867-4', codeSystem: 'urn:other' }),
          observation({ id: 'lab', subject: 'Patient/p1', device: 'Device/d2', code: '2345-7', category: 'laboratory' }),
          both,
        ]),
      );
    });

    it.each<[string, Partial<ObservationQuery>, string[]]>([
      ['subject', { subject: ['Patient/p1'] }, ['hr1', 'lab']],
      ['subject OR', { subject: ['Patient/p1', 'Patient/p2'] }, ['both', 'hr1', 'hr2', 'lab']],
      ['device', { device: ['Device/d2'] }, ['hr2', 'lab']],
      ['code in any system', { code: [[{ code: '8867-4' }]] }, ['hr1', 'hr2']],
      ['system|code exactly', { code: [[{ system: LOINC, code: '8867-4' }]] }, ['hr1']],
      ['code in the wrong system', { code: [[{ system: 'urn:nope', code: '8867-4' }]] }, []],
      ['code without system (|code)', { code: [[{ system: '', code: '8867-4' }]] }, []],
      ['code OR', { code: [[{ code: '2345-7' }, { system: LOINC, code: '8480-6' }]] }, ['both', 'lab']],
      ['code AND (two codings)', { code: [[{ code: '8480-6' }], [{ system: 'urn:vendor', code: 'SYS' }]] }, ['both']],
      ['category', { category: [[{ code: 'vital-signs' }]] }, ['both', 'hr1']],
      ['all AND', { subject: ['Patient/p1'], code: [[{ code: '8867-4' }]], category: [[{ code: 'vital-signs' }]] }, ['hr1']],
      ['an empty OR-list matches nothing', { subject: [] }, []],
      ['an empty token list matches nothing', { code: [[]] }, []],
    ])('%s', async (_name, q, expected) => {
      expect(await matching(q)).toEqual(expected);
    });

    it.each<[string, Partial<ObservationQuery>]>([
      ['subject', { subject: ["Patient/p1' OR '1'='1"] }],
      ['code', { code: [[{ code: "8867-4' OR 1=1 --" }]] }],
      ['system', { code: [[{ system: "x') OR ('1'='1", code: '8867-4' }]] }],
      ['device', { device: ['Device/d1"; DROP TABLE resources; --'] }],
    ])('treats SQL-looking %s values as data', async (_name, q) => {
      expect(await search(q)).toEqual({ total: 0, resources: [] });
      expect((await t.store.counts()).resources).toBe(4);
    });

    it('finds a stored value that looks like SQL by exact match', async () => {
      await t.store.commitIngest(commitOf([observation({ id: 'odd', code: "x' OR '1'='1" })]));
      expect(await matching({ code: [[{ code: "x' OR '1'='1" }]] })).toEqual(['odd']);
    });
  });
});
