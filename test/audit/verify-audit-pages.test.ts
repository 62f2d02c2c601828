import { buildAccessAuditEvent, chainHash, GENESIS_HASH, verifyAuditPages, type ChainRecord } from '../../src/audit';

const event = (n: number) => buildAccessAuditEvent({ clientId: `c${n}`, interaction: 'read', outcome: 'success', recorded: new Date('2024-03-01T12:00:00Z') });

function chain(length: number): ChainRecord[] {
  const records: ChainRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq += 1) {
    const e = event(seq);
    const hash = chainHash(prevHash, e);
    records.push({ seq, event: e, prevHash, hash });
    prevHash = hash;
  }
  return records;
}

const reader = (records: readonly ChainRecord[]) => (afterSeq: number, limit: number) => records.filter((r) => r.seq > afterSeq).slice(0, limit);

describe('verifyAuditPages', () => {
  const good = chain(7);

  it.each([1, 2, 3, 7, 100])('verifies a whole chain read %i entries at a time, returning its head', async (pageSize) => {
    expect(await verifyAuditPages(reader(good), { pageSize })).toEqual({ ok: true, entries: 7, head: { seq: 7, hash: good[6]?.hash } });
  });

  it('an empty chain has the genesis head; an expected head then fails it', async () => {
    expect(await verifyAuditPages(reader([]))).toEqual({ ok: true, entries: 0, head: { seq: 0, hash: GENESIS_HASH } });
    expect(await verifyAuditPages(reader([]), { expectedHead: good[0]?.hash })).toEqual({ ok: false, seq: 0 });
  });

  it.each([
    ['an edited entry', good.map((r) => (r.seq === 4 ? { ...r, event: event(40) } : r)), 4],
    ['a removed entry across a page boundary', good.filter((r) => r.seq !== 3), 4],
    ['a missing start', good.slice(2), 3],
  ])('fails on %s, naming the first entry that does not hold', async (_, records, seq) => {
    expect(await verifyAuditPages(reader(records), { pageSize: 2 })).toEqual({ ok: false, seq });
  });

  it('detects a truncated end against a head kept elsewhere', async () => {
    expect(await verifyAuditPages(reader(good.slice(0, 5)), { expectedHead: good[6]?.hash })).toEqual({ ok: false, seq: 5 });
    expect(await verifyAuditPages(reader(good), { expectedHead: good[6]?.hash, pageSize: 3 })).toMatchObject({ ok: true });
  });
});
