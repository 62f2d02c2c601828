import { buildDisclosureAuditEvent } from '../../src/delivery';
import { commitOf, device, NOW, observation, STORE_KINDS, tempStore, type TempStore } from './store-fixtures';

const t0 = NOW.getTime();
const claim = (ts: TempStore, now = t0, maxEntries = 10) => ts.store.claimOutbox({ owner: 'test', now, leaseMs: 60_000, maxEntries });
const disclosure = (patients: string[], outcome: 'success' | 'failure' | 'error' = 'success') => ({
  event: buildDisclosureAuditEvent({ recipient: 'https://ehr.example/fhir', outcome, recorded: NOW, entities: [], patients }),
  patients,
});

async function seed(ts: TempStore): Promise<void> {
  for (const id of ['d1', 'd2']) await ts.store.addDevice({ id, publicJwk: { kty: 'EC' } });
  await ts.store.commitIngest(commitOf([device('d1', 'Patient/p1'), observation({ id: 'o1', device: 'Device/d1' }), observation({ id: 'o2', device: 'Device/d1' })], undefined, 'd1'));
  await ts.store.commitIngest(commitOf([observation({ id: 'o3', device: 'Device/d2', subject: 'Patient/p2' })], undefined, 'd2'));
}

describe.each(STORE_KINDS)('outbox queue, $adapter', ({ kind }) => {
  let ts: TempStore;
  beforeEach(async () => {
    ts = await tempStore(kind);
    await seed(ts);
  });
  afterEach(() => ts.cleanup());

  it('claims runs per device in commit order, with the exact resource version, and leases them', async () => {
    const batch = await claim(ts);
    expect(batch.map((c) => [c.record.seq, c.record.deviceId, c.resource.id])).toEqual([
      [1, 'd1', 'd1'], [2, 'd1', 'o1'], [3, 'd1', 'o2'], [4, 'd2', 'o3'],
    ]);
    expect(batch[1]?.resource.meta?.versionId).toBe('1');
    expect(await claim(ts)).toEqual([]); // leased
    expect((await ts.store.outboxSummary()).inFlight).toBe(4);
    expect((await claim(ts, t0 + 60_001)).length).toBe(4); // the lease ran out (a killed worker)
  });

  it('never leases part of a device run to a second batch while the first holds its head', async () => {
    const first = await claim(ts, t0, 2);
    expect(first.map((c) => c.record.seq)).toEqual([1, 2]);
    const second = await claim(ts, t0, 10);
    expect(second.map((c) => c.record.seq)).toEqual([4]); // d1's seq 3 waits behind its leased head
  });

  it('holds a device back while its head waits for a retry; delivered and dead entries leave the line', async () => {
    const batch = await claim(ts, t0, 1);
    await ts.store.recordDelivery({ retry: { seqs: [1], nextAttemptAt: t0 + 5000, error: 'ERR_EHR_TIMEOUT: x' }, now: t0 });
    expect((await claim(ts, t0 + 1000)).map((c) => c.record.seq)).toEqual([4]);
    const later = await claim(ts, t0 + 5000);
    expect(later.map((c) => c.record.seq)).toEqual([1, 2, 3]);
    expect(later[0]?.record).toMatchObject({ attempts: 1, lastError: 'ERR_EHR_TIMEOUT: x' });
    await ts.store.recordDelivery({ delivered: [{ seq: 1, ehrReference: 'Device/9' }], dead: [{ seq: 2, error: 'ERR_EHR_REJECTED: 422', ehrResponse: '{"resourceType":"OperationOutcome"}' }], now: t0 + 6000 });
    expect(batch).toHaveLength(1);
    const rows = await ts.store.listOutbox({ limit: 10 });
    expect(rows.map((r) => [r.seq, r.status])).toEqual([[1, 'delivered'], [2, 'dead'], [3, 'pending'], [4, 'pending']]);
    expect(rows[0]).toMatchObject({ ehrReference: 'Device/9', deliveredAt: new Date(t0 + 6000).toISOString() });
    expect(rows[1]).toMatchObject({ lastError: 'ERR_EHR_REJECTED: 422', ehrResponse: '{"resourceType":"OperationOutcome"}' });
  });

  it('replays dead entries (only them, or all) and purges, each audited', async () => {
    await claim(ts);
    await ts.store.recordDelivery({ delivered: [{ seq: 1 }, { seq: 4 }], dead: [{ seq: 2, error: 'E' }, { seq: 3, error: 'E' }], now: t0 });
    const audit = buildDisclosureAuditEvent({ recipient: 'x', outcome: 'success', recorded: NOW, entities: [], patients: [] });
    const before = (await ts.store.counts()).audit;
    expect(await ts.store.replayOutbox({ which: 'dead', seqs: [3], now: t0, audit })).toBe(1);
    expect((await ts.store.outboxSummary())).toMatchObject({ pending: 1, delivered: 2, dead: 1 });
    expect(await ts.store.replayOutbox({ which: 'dead', now: t0, audit })).toBe(1);
    expect((await claim(ts, t0)).map((c) => [c.record.seq, c.record.attempts])).toEqual([[2, 0], [3, 0]]);
    expect(await ts.store.purgeOutbox({ status: 'delivered', audit })).toBe(2);
    expect(await ts.store.replayOutbox({ which: 'all', now: t0, audit })).toBe(0);
    expect((await ts.store.counts()).audit).toBe(before + 4);
  });

  it('indexes disclosures by patient and date, in the same hash chain', async () => {
    await ts.store.recordDelivery({ delivered: [], now: t0, audit: disclosure(['Patient/p1', 'Patient/p2']) });
    await ts.store.recordDelivery({ delivered: [], now: t0, audit: disclosure(['Patient/p2'], 'error') });
    const p2 = await ts.store.listDisclosures({ patient: 'Patient/p2', since: '2024-01-01T00:00:00.000Z' });
    expect(p2.map((r) => r.event.outcome)).toEqual(['0', '8']);
    expect(await ts.store.listDisclosures({ patient: 'Patient/p1', since: '2024-03-02T00:00:00.000Z' })).toEqual([]);
    const chain = await ts.store.listAudit();
    expect(chain.at(-1)?.prevHash).toBe(chain.at(-2)?.hash);
  });
});
