import Database from 'better-sqlite3';
import { verifyAuditChain } from '../../../src/audit';
import { commitOf, device, observation, tempSqliteStore, type TempSqliteStore } from '../store-fixtures';

describe('group commit (concurrent ingest commits share one transaction, each stays all-or-nothing)', () => {
  let t: TempSqliteStore;
  beforeEach(() => {
    t = tempSqliteStore();
  });
  afterEach(() => t.cleanup());

  it('commits a burst of concurrent requests; a replayed jti inside the burst fails alone', async () => {
    const commits = Array.from({ length: 20 }, (_, i) => commitOf([device('d1'), observation({ id: `o${i}`, effective: '2024-03-01T10:00:00Z' })]));
    const replay = { ...commitOf([observation({ id: 'o-replay', effective: '2024-03-01T10:00:00Z' })]), jti: commits[3]!.jti };
    const settled = await Promise.allSettled([...commits.map((c) => t.store.commitIngest(c)), t.store.commitIngest(replay)]);

    expect(settled.slice(0, 20).every((s) => s.status === 'fulfilled')).toBe(true);
    const last = settled[20];
    expect(last?.status).toBe('rejected');
    expect(last?.status === 'rejected' && (last.reason as { code: string }).code).toBe('ERR_JTI_REPLAYED');
    // Nothing of the replayed commit is written (its savepoint rolled back), everything else is.
    expect(await t.store.read('Observation', 'o-replay')).toBeUndefined();
    const counts = await t.store.counts();
    expect(counts).toMatchObject({ resources: 21, jti: 20, audit: 20 });
    expect(verifyAuditChain(await t.store.listAudit())).toEqual({ ok: true });
  });

  it('settles only after the data is visible to another connection (durably committed)', async () => {
    const c = commitOf([observation({ id: 'o-visible', effective: '2024-03-01T10:00:00Z' })]);
    await t.store.commitIngest(c);
    const other = new Database(t.file, { readonly: true });
    try {
      expect(other.prepare('SELECT COUNT(*) FROM resources WHERE id = ?').pluck().get('o-visible')).toBe(1);
    } finally {
      other.close();
    }
  });

  it('interleaves stand-alone audit entries with ingest commits on one hash chain', async () => {
    const commits = Array.from({ length: 5 }, (_, i) => commitOf([observation({ id: `a${i}`, effective: '2024-03-01T10:00:00Z' })]));
    await Promise.all(commits.flatMap((c) => [t.store.commitIngest(c), t.store.appendAudit(c.audit)]));
    const audit = await t.store.listAudit();
    expect(audit).toHaveLength(10);
    expect(verifyAuditChain(audit)).toEqual({ ok: true });
  });
});
