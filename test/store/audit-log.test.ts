import { buildAccessAuditEvent, GENESIS_HASH, verifyAuditChain } from '../../src/audit';
import { auditFor, commitOf, NOW, observation, STORE_KINDS, tempStore, type TempStore } from './store-fixtures';

/** The same edit in each engine's SQL (SQLite's json_set, PostgreSQL's jsonb_set over the stored text). */
const EDIT_RECORDED = {
  sqlite: "UPDATE audit SET event = json_set(event, '$.recorded', '2020-01-01T00:00:00Z') WHERE seq = 2",
  postgres: `UPDATE audit SET event = jsonb_set(event::jsonb, '{recorded}', '"2020-01-01T00:00:00Z"')::text WHERE seq = 2`,
};

describe.each(STORE_KINDS)('store audit log, $adapter', ({ kind }) => {
  let t: TempStore;
  beforeEach(async () => {
    t = await tempStore(kind);
    await t.store.appendAudit(auditFor('d1'));
    await t.store.commitIngest(commitOf([observation({ id: 'o1' })]));
    await t.store.appendAudit(buildAccessAuditEvent({ clientId: 'ehr', interaction: 'read', outcome: 'success', recorded: NOW }));
  });
  afterEach(() => t.cleanup());

  it('chains entries from the genesis hash, in order, and verifies', async () => {
    const records = await t.store.listAudit();
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0]?.prevHash).toBe(GENESIS_HASH);
    expect(records[1]?.prevHash).toBe(records[0]?.hash);
    expect(records[2]?.event.agent[0]?.who?.identifier?.value).toBe('ehr');
    expect(verifyAuditChain(records)).toEqual({ ok: true });
  });

  it('hashes text outside ASCII as the verifier does (UTF-8), and entries appended together chain in order', async () => {
    const named = (who: string) => ({ ...auditFor('d1'), outcomeDesc: `Jürgen Ø ${who} 心电图 🫀 "quoted" \\ back\u2028slash` });
    await Promise.all([t.store.appendAudit(named('a')), t.store.appendAudit(named('b')), t.store.appendAudit(named('c'))]);
    const records = await t.store.listAudit();
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(records.slice(3).map((r) => r.event.outcomeDesc?.split(' ')[2]).sort()).toEqual(['a', 'b', 'c']);
    expect(verifyAuditChain(records)).toEqual({ ok: true });
  });

  it('pages with limit and afterSeq; a later page verifies when linked to the previous one', async () => {
    const first = await t.store.listAudit({ limit: 2 });
    const rest = await t.store.listAudit({ afterSeq: 2 });
    expect([first.map((r) => r.seq), rest.map((r) => r.seq)]).toEqual([[1, 2], [3]]);
    expect(verifyAuditChain(rest, { prevHash: first[1]?.hash })).toEqual({ ok: true });
  });

  it.each([
    ['an edited event', kind === 'postgres' ? EDIT_RECORDED.postgres : EDIT_RECORDED.sqlite, 2],
    ['a deleted entry', 'DELETE FROM audit WHERE seq = 2', 3],
    ['a rewritten hash', "UPDATE audit SET hash = 'ff' || substr(hash, 3) WHERE seq = 1", 1],
  ])('detects %s in the database', async (_what, sql, seq) => {
    expect(await t.run(sql)).toBe(1);
    expect(verifyAuditChain(await t.store.listAudit())).toEqual({ ok: false, seq });
  });
});
