import type { ObservationQuery, DeviceQuery } from '../../../src/store';
import { verifyAuditChain, verifyAuditPages } from '../../../src/audit';
import { copySqliteToPostgres, type CopyProgress, type StoreCopyReport } from '../../../src/store/copy';
import type { Store } from '../../../src/store/port';
import { dropSchema, openTestPostgresStore, PG_URL, randomSchema } from '../postgres-fixtures';
import { commitOf, observation, tempSqliteStore, type TempSqliteStore } from '../store-fixtures';
import { ACTOR, fillStore, postgresRows, sha256File, sqliteRows } from './copy-fixtures';

// A SQLite store filled through the port, copied into a fresh PostgreSQL schema, then asked the same questions
// through both stores' ports: every answer must be the same, and the PostgreSQL store must carry on from there.

const OBSERVATION_QUERIES: ObservationQuery[] = [
  { count: 100, offset: 0 },
  { count: 100, offset: 0, sort: 'date' },
  { count: 2, offset: 1 },
  { count: 100, offset: 0, subject: ['Patient/p1'] },
  { count: 100, offset: 0, device: ['Device/d2', 'Device/d4'] },
  { count: 100, offset: 0, code: [[{ system: 'http://loinc.org', code: '8867-4' }]] },
  { count: 100, offset: 0, category: [[{ code: 'vital-signs' }]] },
  { count: 100, offset: 0, date: [{ prefix: 'ge', start: Date.parse('2024-02-02T00:00:00Z'), end: Date.parse('2024-02-03T00:00:00Z') }] },
  { count: 0, offset: 0, subject: ['Patient/nobody'] },
];
const DEVICE_QUERIES: DeviceQuery[] = [
  { count: 100, offset: 0 },
  { count: 100, offset: 0, patient: ['Patient/p1', 'Patient/p4'] },
  { count: 100, offset: 0, identifier: [[{ system: 'urn:serial', code: 'SN-3' }]] },
  { count: 100, offset: 0, identifier: [[{ code: 'SN-1' }]] },
];

describe('store copy: SQLite into an empty PostgreSQL schema', () => {
  let source: TempSqliteStore;
  let schema: string;
  let target: Store;
  let report: StoreCopyReport;
  let sourceHash: string;
  const progress: CopyProgress[] = [];

  beforeAll(async () => {
    source = tempSqliteStore();
    await fillStore(source.store, source.clock);
    sourceHash = sha256File(source.file);
    schema = randomSchema();
    report = await copySqliteToPostgres({
      from: source.file, url: PG_URL, schema, actor: ACTOR, now: () => source.clock.now, batchSize: 2, onProgress: (p) => progress.push(p),
    });
    target = await openTestPostgresStore(schema, { now: () => source.clock.now });
  });
  afterAll(async () => {
    await target?.close();
    await source?.cleanup();
    await dropSchema(schema);
  });

  it('copies every row of every table as it is: same rids, versions, texts, seqs, hashes, leases and the chain head', async () => {
    const before = sqliteRows(source.file);
    const after = await postgresRows(schema);
    const { audit_head: head, ...copied } = after;
    const last = (copied.audit as Array<{ seq: number; hash: string }>).at(-1);
    expect({ ...copied, audit: copied.audit?.slice(0, -1) }).toEqual(before);
    expect(head).toEqual([{ seq: last?.seq, hash: last?.hash }]);
    expect(report.counts).toEqual(Object.fromEntries(Object.entries(before).map(([table, rows]) => [table, rows.length])));
    expect(report.counts).toMatchObject({ devices: 4, resource_history: 12, outbox: 12, used_jti: 7, audit: 10 });
    // The SQLite file was only read.
    expect(sha256File(source.file)).toBe(sourceHash);
  });

  it('reports progress per batch, ending at each table total', () => {
    const finals = new Map(progress.map((p) => [p.table, p]));
    for (const [table, n] of Object.entries(report.counts)) {
      if (n > 0) expect(finals.get(table as CopyProgress['table'])).toEqual({ table, done: n, total: n });
    }
    expect(progress.filter((p) => p.table === 'outbox').map((p) => p.done)).toEqual([2, 4, 6, 8, 10, 12]);
  });

  it('answers reads and searches exactly as the SQLite store does', async () => {
    for (const id of ['d1', 'd2', 'd4']) expect(await target.read('Device', id)).toEqual(await source.store.read('Device', id));
    for (const id of ['o1', 'o2', 'o3', 'o4', 'o5', 'o6']) expect(await target.read('Observation', id)).toEqual(await source.store.read('Observation', id));
    expect((await target.read('Device', 'd1'))?.meta?.versionId).toBe('3');
    for (const q of OBSERVATION_QUERIES) expect(await target.searchObservations(q)).toEqual(await source.store.searchObservations(q));
    for (const q of DEVICE_QUERIES) expect(await target.searchDevices(q)).toEqual(await source.store.searchDevices(q));
    expect((await target.searchDevices(DEVICE_QUERIES[2] as DeviceQuery)).total).toBe(1);
  });

  it('keeps the registry (keys, status, patient links, revocation) and the used jtis', async () => {
    expect(await target.listDevices()).toEqual(await source.store.listDevices());
    expect(await target.getDevice('d3')).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    expect(await target.getDevice('d4')).toMatchObject({ patient: 'Patient/p4' });
    expect(await target.hasJti('d1', 'j1')).toBe(true);
    expect(await target.hasJti('d1', 'never')).toBe(false);
  });

  it('keeps the outbox: summary, every entry with its state, the dead letter and the disclosures', async () => {
    expect(await target.outboxSummary()).toEqual(await source.store.outboxSummary());
    expect(await target.outboxSummary()).toMatchObject({ pending: 3, inFlight: 1, delivered: 8, dead: 1 });
    for (const status of [undefined, 'pending', 'delivered', 'dead'] as const) {
      expect(await target.listOutbox({ status, limit: 100 })).toEqual(await source.store.listOutbox({ status, limit: 100 }));
    }
    const since = '1970-01-01T00:00:00.000Z';
    for (const patient of ['Patient/p1', 'Patient/p2', 'Patient/p4']) {
      expect(await target.listDisclosures({ patient, since })).toEqual(await source.store.listDisclosures({ patient, since }));
    }
  });

  it('keeps the audit chain and appends the copy as its own entry: operator, counts; the whole chain verifies', async () => {
    const copied = await source.store.listAudit();
    const audit = await target.listAudit();
    expect(audit.slice(0, -1)).toEqual(copied);
    const entry = audit.at(-1);
    expect(entry).toMatchObject({ seq: copied.length + 1, prevHash: copied.at(-1)?.hash, hash: report.auditHead.hash });
    expect(report.auditHead.seq).toBe(copied.length + 1);
    expect(entry?.event).toMatchObject({ subtype: [{ system: 'urn:iomt-bridge:store', code: 'copy' }], action: 'C', agent: [{ who: { identifier: ACTOR }, requestor: true }] });
    const query = JSON.parse(Buffer.from(entry?.event.entity?.[0]?.query ?? '', 'base64').toString('utf8')) as Record<string, unknown>;
    expect(query).toEqual({ from: source.file, schema, counts: report.counts });
    expect(verifyAuditChain(audit)).toEqual({ ok: true });
    expect(await verifyAuditPages((afterSeq, limit) => target.listAudit({ afterSeq, limit }), { pageSize: 3, expectedHead: report.auditHead.hash }))
      .toEqual({ ok: true, entries: copied.length + 1, head: report.auditHead });
  });

  it('carries on: a new commit on PostgreSQL extends the chain and takes the next outbox seq; a copied jti stays used', async () => {
    const lastSeq = (await source.store.listOutbox({ limit: 100 })).at(-1)?.seq ?? 0;
    await target.commitIngest(commitOf([observation({ id: 'o7', effective: '2024-02-07' })], 'j-pg'));
    const audit = await target.listAudit();
    expect(audit.at(-1)).toMatchObject({ seq: report.auditHead.seq + 1, prevHash: report.auditHead.hash });
    expect(verifyAuditChain(audit)).toEqual({ ok: true });
    expect((await target.listOutbox({ afterSeq: lastSeq, limit: 10 })).map((e) => [e.seq, e.resourceId])).toEqual([[lastSeq + 1, 'o7']]);
    await expect(target.commitIngest(commitOf([], 'j1'))).rejects.toMatchObject({ code: 'ERR_JTI_REPLAYED' });
  });
});
