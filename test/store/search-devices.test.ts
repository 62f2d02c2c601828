import type { Device } from 'fhir/r4';
import type { DeviceQuery } from '../../src/store';
import { commitOf, device, STORE_ENGINES, tempStore, type TempStore } from './store-fixtures';

const SERIAL = 'urn:vendor:serial';
const MAC = 'urn:ietf:rfc:7042';

describe.each(STORE_ENGINES)('searchDevices, $adapter', ({ kind }) => {
  let t: TempStore;
  const search = async (q: Partial<DeviceQuery>) => t.store.searchDevices({ count: 100, offset: 0, ...q });
  const matching = async (q: Partial<DeviceQuery>) => (await search(q)).resources.map((d: Device) => d.id);

  beforeEach(async () => {
    t = await tempStore(kind);
    await t.store.commitIngest(
      commitOf([
        device('d1', 'Patient/p1', [{ system: SERIAL, value: 'SN-1' }, { system: MAC, value: '00:11' }]),
        device('d2', 'Patient/p2', [{ system: SERIAL, value: 'SN-2' }]),
        device('d3', undefined, [{ value: 'SN-1' }]),
      ]),
    );
  });
  afterEach(() => t.cleanup());

  it.each<[string, Partial<DeviceQuery>, string[]]>([
    ['all, sorted by id', {}, ['d1', 'd2', 'd3']],
    ['patient', { patient: ['Patient/p1'] }, ['d1']],
    ['patient OR', { patient: ['Patient/p1', 'Patient/p2'] }, ['d1', 'd2']],
    ['identifier in any system', { identifier: [[{ code: 'SN-1' }]] }, ['d1', 'd3']],
    ['identifier system|value', { identifier: [[{ system: SERIAL, code: 'SN-1' }]] }, ['d1']],
    ['identifier |value (no system)', { identifier: [[{ system: '', code: 'SN-1' }]] }, ['d3']],
    ['identifier AND', { identifier: [[{ code: 'SN-1' }], [{ system: MAC, code: '00:11' }]] }, ['d1']],
    ['identifier and patient', { identifier: [[{ code: 'SN-1' }]], patient: ['Patient/p2'] }, []],
    ['empty patient list', { patient: [] }, []],
    ['SQL-looking value', { identifier: [[{ code: "' OR 1=1 --" }]] }, []],
  ])('%s', async (_name, q, expected) => {
    expect(await matching(q)).toEqual(expected);
  });

  it('pages with a total', async () => {
    const page = await search({ count: 1, offset: 1 });
    expect(page.total).toBe(3);
    expect(page.resources.map((d) => d.id)).toEqual(['d2']);
  });

  it('indexes the current version only', async () => {
    await t.store.commitIngest(commitOf([device('d1', 'Patient/p9', [{ system: SERIAL, value: 'SN-1' }])]));
    expect(await matching({ patient: ['Patient/p1'] })).toEqual([]);
    expect(await matching({ patient: ['Patient/p9'] })).toEqual(['d1']);
    expect(await matching({ identifier: [[{ system: MAC, code: '00:11' }]] })).toEqual([]);
  });
});
