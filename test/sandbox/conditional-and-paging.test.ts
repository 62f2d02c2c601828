import type { Bundle, BundleEntry, Observation, Resource } from 'fhir/r4';
import { FhirError } from '../../src/errors/fhir-error';
import { handleFhirRequest, type FhirRequest } from '../../src/sandbox/fhir-routes';
import { parseQuery, processTransaction } from '../../src/sandbox/process-transaction';
import { matchesQuery, SandboxStore } from '../../src/sandbox/sandbox-store';

const NOW = new Date('2025-03-01T10:00:00Z');
const BASE = 'http://127.0.0.1:9080/fhir';
const SYS = 'urn:iomt-bridge:observation';

const observation = (value: string, patient = 'Patient/example', extra: Partial<Observation> = {}): Observation => ({
  resourceType: 'Observation', status: 'final', code: { text: 'x' }, identifier: [{ system: SYS, value }], subject: { reference: patient }, ...extra,
});
const tx = (...entry: BundleEntry[]): Bundle => ({ resourceType: 'Bundle', type: 'transaction', entry });
const condPut = (resource: Observation, fullUrl?: string): BundleEntry => ({
  fullUrl, resource, request: { method: 'PUT', url: `Observation?identifier=${encodeURIComponent(`${SYS}|${String(resource.identifier?.[0]?.value)}`)}` },
});
const condPost = (resource: Observation): BundleEntry => ({
  resource, request: { method: 'POST', url: 'Observation', ifNoneExist: `identifier=${SYS}|${String(resource.identifier?.[0]?.value)}` },
});

function errorOf(run: () => unknown): FhirError {
  try {
    run();
  } catch (error) {
    if (error instanceof FhirError) return error;
    throw error;
  }
  throw new Error('expected a FhirError');
}

/** A store with `n` Observations (`o-0` … `o-(n-1)`), alternating between two patients. */
function filled(n: number): SandboxStore {
  const store = new SandboxStore();
  store.commit(Array.from({ length: n }, (_, i) => ({ ...observation(`o-${i}`, i % 2 === 0 ? 'Patient/example' : 'Patient/pat-2'), id: `id-${i}` })), NOW);
  return store;
}

/** The answer a full scan gives (what the index must agree with). */
const scan = (store: SandboxStore, query: string): Array<string | undefined> =>
  store.all('Observation').filter((r) => matchesQuery(r, parseQuery(query))).map((r) => r.id);

describe('SandboxStore indexes', () => {
  const store = filled(500);
  it.each<[string, number]>([
    ['identifier=urn:iomt-bridge:observation|o-7', 1],
    ['identifier=o-7', 1],
    ['identifier=|o-7', 0],
    ['identifier=urn:iomt-bridge:observation|', 500],
    ['identifier=urn:iomt-bridge:observation|o-7,urn:iomt-bridge:observation|o-9', 2],
    ['patient=Patient/pat-2&identifier=o-9', 1],
    ['patient=Patient/pat-2&identifier=o-8', 0],
    ['subject=http://elsewhere/fhir/Patient/example', 250],
    ['_id=id-3', 1],
  ])('%s answers what a scan answers (%d), in insertion order', (query, count) => {
    const found = store.search('Observation', parseQuery(query)).map((r) => r.id);
    expect(found).toEqual(scan(store, query));
    expect(found).toHaveLength(count);
  });

  it('forgets the identifier a new version no longer carries', () => {
    const s = filled(3);
    s.commit([{ ...observation('renamed'), id: 'id-1' }], NOW);
    expect(s.search('Observation', parseQuery(`identifier=${SYS}|o-1`))).toEqual([]);
    expect(s.search('Observation', parseQuery(`identifier=${SYS}|renamed`)).map((r) => [r.id, r.meta?.versionId])).toEqual([['id-1', '2']]);
  });

  it('rebuilds the index on reset', () => {
    const s = filled(3);
    s.reset();
    expect(s.search('Observation', parseQuery('identifier=o-1'))).toEqual([]);
    expect(s.search('Patient', parseQuery('identifier=urn:iomt-bridge:sandbox:mrn|MRN-0002')).map((r) => r.id)).toEqual(['pat-2']);
  });
});

describe('conditional update in a transaction (PUT Type?identifier=…)', () => {
  it('creates when nothing matches, then updates the one match (same id, next version)', () => {
    const store = new SandboxStore();
    const first = processTransaction(store, tx(condPut(observation('c-1', 'Patient/example', { status: 'preliminary' }))), { now: NOW });
    expect(first.entry?.[0]?.response?.status).toBe('201 Created');
    const second = processTransaction(store, tx(condPut(observation('c-1', 'Patient/example', { status: 'amended' }))), { now: NOW });
    const id = store.all('Observation')[0]?.id;
    expect(second.entry?.[0]?.response).toMatchObject({ status: '200 OK', location: `Observation/${String(id)}/_history/2` });
    expect(store.all('Observation').map((o) => [(o as Observation).status, o.meta?.versionId])).toEqual([['amended', '2']]);
  });

  it('updates a resource created by an earlier entry of the same Bundle (one resource)', () => {
    const store = new SandboxStore();
    processTransaction(store, tx(condPost(observation('c-2')), condPut(observation('c-2', 'Patient/example', { status: 'amended' }))), { now: NOW });
    expect(store.all('Observation').map((o) => (o as Observation).status)).toEqual(['amended']);
  });

  it.each<[string, (store: SandboxStore) => Bundle, number, string, string]>([
    ['several matches', (s) => { s.commit([{ ...observation('dup'), id: 'a' }, { ...observation('dup'), id: 'b' }] as Resource[], NOW); return tx(condPut(observation('dup'))); },
      412, 'ERR_SANDBOX_MULTIPLE_MATCHES', 'Bundle.entry[0].request.url'],
    ['a body id other than the match', (s) => { s.commit([{ ...observation('m'), id: 'a' }], NOW); return tx(condPut({ ...observation('m'), id: 'zzz' })); },
      400, 'ERR_SANDBOX_CONDITION_ID', 'Bundle.entry[0].request.url'],
    ['no criteria', () => tx({ resource: observation('x'), request: { method: 'PUT', url: 'Observation?' } }), 400, 'ERR_SANDBOX_CONDITION_EMPTY', 'Bundle.entry[0].request.url'],
    ['an unknown search parameter', () => tx({ resource: observation('x'), request: { method: 'PUT', url: 'Observation?code=1' } }), 400, 'ERR_SANDBOX_SEARCH_PARAM', 'code'],
    ['another type in the url', () => tx({ resource: observation('x'), request: { method: 'PUT', url: 'Device?identifier=x' } }), 400, 'ERR_SANDBOX_PUT_URL', 'Bundle.entry[0].request.url'],
  ])('refuses %s (%d %s), writing nothing', (_name, make, status, code, expression) => {
    const store = new SandboxStore();
    const bundle = make(store);
    const before = store.all('Observation').length;
    const error = errorOf(() => processTransaction(store, tx(condPost(observation('other')), ...(bundle.entry ?? [])), { now: NOW }));
    expect([error.status, error.code, error.outcome.issue[0]?.expression?.[0]]).toEqual([status, code, expression.replace('entry[0]', 'entry[1]')]);
    expect(store.all('Observation')).toHaveLength(before);
  });

  it('leaves resources out of the answer with return=minimal', () => {
    const out = processTransaction(new SandboxStore(), tx(condPost(observation('min'))), { now: NOW, return: 'minimal' });
    expect(out.entry?.[0]).toEqual({ response: expect.objectContaining({ status: '201 Created' }) });
  });
});

const SYSTEM_ACCESS = { clientId: 'backend', scope: 'system/*.cruds' };
const call = (store: SandboxStore, request: Partial<FhirRequest>) =>
  handleFhirRequest(store, { method: 'GET', path: '/', search: '', body: '', access: SYSTEM_ACCESS, baseUrl: BASE, ...request });

describe('REST: conditional update and conditional create', () => {
  it('PUT Observation?identifier= creates (201), then updates the match (200, version 2)', () => {
    const store = new SandboxStore();
    const put = (status: Observation['status']) => call(store, {
      method: 'PUT', path: '/Observation', search: `?identifier=${SYS}|r-1`, body: JSON.stringify(observation('r-1', 'Patient/example', { status })),
    });
    expect(put('preliminary').status).toBe(201);
    const again = put('final');
    const stored = store.all('Observation');
    expect([again.status, again.headers?.location]).toEqual([200, `Observation/${String(stored[0]?.id)}/_history/2`]);
    expect(stored).toHaveLength(1);
  });

  it('PUT Observation/id needs the same id in the body', () => {
    const store = new SandboxStore();
    expect(call(store, { method: 'PUT', path: '/Observation/x1', body: JSON.stringify({ ...observation('p'), id: 'x1' }) }).status).toBe(201);
    expect(errorOf(() => call(store, { method: 'PUT', path: '/Observation/x1', body: JSON.stringify(observation('p')) })).code).toBe('ERR_SANDBOX_UPDATE_ID');
  });

  it('POST with If-None-Exist finds the existing resource (200) instead of creating, and return=minimal has no body', () => {
    const store = new SandboxStore();
    const post = () => call(store, { method: 'POST', path: '/Observation', body: JSON.stringify(observation('h-1')), ifNoneExist: `identifier=${SYS}|h-1`, prefer: 'return=minimal' });
    expect([post().status, post().status]).toEqual([201, 200]);
    expect(post().body).toBeUndefined();
    expect(store.all('Observation')).toHaveLength(1);
  });
});

describe('search paging (_count, next links inside the base)', () => {
  const store = filled(7);
  const page = (search: string) => call(store, { path: '/Observation', search }).body as Bundle;

  it('pages with _count and follows next links to the end, every link on the sandbox base', () => {
    const seen: string[] = [];
    let bundle = page('?patient=Patient/example&_count=2');
    for (let pages = 0; pages < 10; pages += 1) {
      expect(bundle.total).toBe(4);
      for (const link of bundle.link ?? []) expect(link.url.startsWith(`${BASE}/Observation?`)).toBe(true);
      seen.push(...(bundle.entry ?? []).map((e) => String(e.resource?.id)));
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      if (next === undefined) break;
      bundle = page(next.slice(`${BASE}/Observation`.length));
    }
    expect(seen).toEqual(['id-0', 'id-2', 'id-4', 'id-6']);
    expect(bundle.link?.map((l) => l.relation)).toEqual(['self', 'first', 'previous']);
  });

  it('_count=0 answers the total only; a default page is 100', () => {
    expect(page('?_count=0')).toMatchObject({ total: 7, entry: [] });
    expect(page('').entry).toHaveLength(7);
    expect(page('').entry?.[0]?.fullUrl).toBe(`${BASE}/Observation/id-0`);
  });

  it.each(['?_count=-1', '?_count=ten', '?_offset=1.5'])('refuses %s with a 400 naming the parameter', (search) => {
    const error = errorOf(() => page(search));
    expect([error.status, error.code, error.outcome.issue[0]?.expression?.[0]]).toEqual([400, 'ERR_SANDBOX_PAGING', search.slice(1, search.indexOf('='))]);
  });
});
