import { verifyAuditChain } from '../../../src/audit';
import type { ClaimedEntry, Store } from '../../../src/store';
import { auditFor, commitOf, device, observation } from '../store-fixtures';
import { dropSchema, openTestPostgresStore, randomSchema } from '../postgres-fixtures';

// Two stores on one schema stand for two bridges sharing a database: each has its own pool, so their
// transactions really run at the same time on the server.
describe('PostgreSQL store under concurrent writers', () => {
  let schema: string;
  let a: Store;
  let b: Store;
  beforeEach(async () => {
    schema = randomSchema();
    a = await openTestPostgresStore(schema, { poolSize: 6 });
    b = await openTestPostgresStore(schema, { poolSize: 6 });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await dropSchema(schema);
  });

  it('keeps the audit chain strict, versions gapless and outbox seqs in version order across two pools', async () => {
    const N = 30;
    // Every commit carries the same Device (changed each time, so each is a new version) and its own
    // Observation; half list them the other way round, so row locks are taken in both orders.
    const commits = Array.from({ length: N }, (_, i) => {
      const resources = [{ ...device('d1', 'Patient/p1'), serialNumber: `sn-${i}` }, observation({ id: `o${i}` })];
      return commitOf(i % 2 === 0 ? resources : resources.reverse(), `jti-c-${i}`);
    });
    const results = await Promise.all(commits.map((c, i) => (i % 2 === 0 ? a : b).commitIngest(c)));
    const deviceVersions = results.map((r) => r.written.find((w) => w.reference === 'Device/d1')?.versionId).map(Number);
    expect(deviceVersions.sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i + 1));

    const audit = await b.listAudit();
    expect(audit.map((r) => r.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(verifyAuditChain(audit)).toEqual({ ok: true });
    expect(await a.counts()).toEqual({ resources: N + 1, outbox: 2 * N, audit: N, jti: N });

    const deviceRows = (await a.listOutbox({ limit: 1000 })).filter((r) => r.resourceType === 'Device');
    expect(deviceRows.map((r) => Number(r.versionId))).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect((await a.read('Device', 'd1'))?.meta?.versionId).toBe(String(N));
  });

  it('stores a resource created by two bridges at the same moment once (the second plans again on the first one\'s row)', async () => {
    // The same new Device and Observations, committed together on both pools, 10 times over fresh ids:
    // one insert wins each race; the other waits on the unique key, finds the committed row and writes nothing.
    for (let round = 0; round < 10; round += 1) {
      const resources = [device(`race-d${round}`, 'Patient/p1'), observation({ id: `race-o${round}a` }), observation({ id: `race-o${round}b` })];
      const results = await Promise.all([
        a.commitIngest(commitOf(resources, `race-a-${round}`)),
        b.commitIngest(commitOf([...resources].reverse(), `race-b-${round}`)),
      ]);
      const created = results.flatMap((r) => r.written.filter((w) => w.created).map((w) => w.reference));
      expect(created.sort()).toEqual(resources.map((r) => `${r.resourceType}/${r.id as string}`).sort());
      expect(results.flatMap((r) => r.written.map((w) => w.versionId))).toEqual(['1', '1', '1', '1', '1', '1']);
    }
    expect(await a.counts()).toEqual({ resources: 30, outbox: 30, audit: 20, jti: 20 });
    expect(verifyAuditChain(await a.listAudit())).toEqual({ ok: true });
  });

  it('accepts a jti once when two bridges commit it at the same moment', async () => {
    const [first, second] = await Promise.allSettled([
      a.commitIngest(commitOf([observation({ id: 'x1' })], 'same-jti')),
      b.commitIngest(commitOf([observation({ id: 'x2' })], 'same-jti')),
    ]);
    const outcomes = [first, second].map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as { code?: string }).code));
    expect(outcomes.sort()).toEqual(['ERR_JTI_REPLAYED', 'ok']);
    expect((await a.counts()).resources).toBe(1);
    expect(verifyAuditChain(await a.listAudit())).toEqual({ ok: true });
  });

  it('lets two workers claim with SKIP LOCKED: no entry twice, each device in seq order, none ahead of a leased one', async () => {
    const DEVICES = 6;
    const PER_DEVICE = 8;
    for (let d = 0; d < DEVICES; d += 1) await a.addDevice({ id: `dev${d}`, publicJwk: { kty: 'EC' } });
    // Interleaved commits: device runs are spread through the outbox.
    for (let i = 0; i < PER_DEVICE; i += 1) {
      await Promise.all(Array.from({ length: DEVICES }, (_, d) =>
        (d % 2 === 0 ? a : b).commitIngest(commitOf([observation({ id: `o-${d}-${i}`, device: `Device/dev${d}` })], undefined, `dev${d}`))));
    }
    const seqsOf = new Map<string, number[]>();
    for (const r of await a.listOutbox({ limit: 1000 })) seqsOf.set(r.deviceId, [...(seqsOf.get(r.deviceId) ?? []), r.seq]);
    const deliveredOrder = new Map<string, number[]>();
    const now = Date.UTC(2024, 2, 1, 12);
    let rounds = 0;
    for (;;) {
      rounds += 1;
      const [batchA, batchB] = await Promise.all([
        a.claimOutbox({ owner: 'worker-a', now, leaseMs: 60_000, maxEntries: 5 }),
        b.claimOutbox({ owner: 'worker-b', now, leaseMs: 60_000, maxEntries: 5 }),
      ]);
      if (batchA.length + batchB.length === 0) break;
      const seqsA = batchA.map((c) => c.record.seq);
      expect(batchB.filter((c) => seqsA.includes(c.record.seq))).toEqual([]);
      // A device is never split between the two workers' batches.
      const devicesA = new Set(batchA.map((c) => c.record.deviceId));
      expect(batchB.filter((c) => devicesA.has(c.record.deviceId))).toEqual([]);
      for (const batch of [batchA, batchB]) expectHeadsOfLine(batch, seqsOf, deliveredOrder);
      // Deliver in reverse order of the claims, to show the order comes from the claims, not the replies.
      for (const [store, batch] of [[b, batchB], [a, batchA]] as const) {
        if (batch.length > 0) await store.recordDelivery({ delivered: batch.map((c) => ({ seq: c.record.seq })), now });
      }
      expect(rounds).toBeLessThan(100);
    }
    for (const [deviceId, seqs] of seqsOf) expect(deliveredOrder.get(deviceId)).toEqual(seqs);
    expect(await a.outboxSummary()).toMatchObject({ pending: 0, inFlight: 0, delivered: DEVICES * PER_DEVICE });
  });

  it('delivers each device\'s versions in order while two pools ingest and two workers claim at the same time', async () => {
    const DEVICES = 4;
    const PER_DEVICE = 10;
    for (let d = 0; d < DEVICES; d += 1) await a.addDevice({ id: `live${d}`, publicJwk: { kty: 'EC' } });
    const deliveredVersions = new Map<string, number[]>();
    let ingesting = true;
    const worker = async (store: Store, owner: string) => {
      for (;;) {
        const batch = await store.claimOutbox({ owner, now: Date.UTC(2024, 2, 1, 12), leaseMs: 60_000, maxEntries: 3 });
        for (const c of batch) {
          if (c.record.resourceType === 'Device') deliveredVersions.set(c.record.deviceId, [...(deliveredVersions.get(c.record.deviceId) ?? []), Number(c.record.versionId)]);
        }
        if (batch.length > 0) await store.recordDelivery({ delivered: batch.map((c) => ({ seq: c.record.seq })), now: Date.UTC(2024, 2, 1, 12) });
        else if (!ingesting) return;
        else await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const workers = [worker(a, 'worker-a'), worker(b, 'worker-b')];
    // Each commit changes its device's Device resource (a new version) and adds a reading.
    await Promise.all(Array.from({ length: DEVICES * PER_DEVICE }, (_, i) => {
      const d = `live${i % DEVICES}`;
      const resources = [{ ...device(d, 'Patient/p1'), serialNumber: `sn-${i}` }, observation({ id: `live-o${i}`, device: `Device/${d}` })];
      return (i % 2 === 0 ? a : b).commitIngest(commitOf(resources, `jti-live-${i}`, d));
    }));
    ingesting = false;
    await Promise.all(workers);
    for (let d = 0; d < DEVICES; d += 1) {
      expect(deliveredVersions.get(`live${d}`)).toEqual(Array.from({ length: PER_DEVICE }, (_, i) => i + 1));
    }
    expect(await a.outboxSummary()).toMatchObject({ pending: 0, delivered: 2 * DEVICES * PER_DEVICE });
    expect(verifyAuditChain(await a.listAudit())).toEqual({ ok: true });
  });

  it('lets one of two clinicians linking the same device to different patients win, at the same moment', async () => {
    await a.addDevice({ id: 'cuff-9', publicJwk: { kty: 'EC' } });
    const event = auditFor('cuff-9', ['Device/cuff-9']);
    const outcomes = await Promise.allSettled([a.linkDevice('cuff-9', 'Patient/A', event), b.linkDevice('cuff-9', 'Patient/B', event)]);
    const codes = outcomes.map((o) => (o.status === 'fulfilled' ? 'linked' : (o.reason as { code?: string }).code));
    expect(codes.sort()).toEqual(['ERR_DEVICE_ALREADY_LINKED', 'linked']);
    const winner = (await a.getDevice('cuff-9'))?.patient;
    expect((await b.read('Device', 'cuff-9')) as { patient?: { reference?: string } }).toMatchObject({ patient: { reference: winner }, meta: { versionId: '1' } });
    expect((await a.counts()).outbox).toBe(1);
  });
});

/** Each claimed run starts at its device's first undelivered entry and continues without a gap. */
function expectHeadsOfLine(batch: ClaimedEntry[], seqsOf: Map<string, number[]>, delivered: Map<string, number[]>): void {
  for (const entry of batch) {
    const { deviceId, seq } = entry.record;
    const done = delivered.get(deviceId) ?? [];
    expect(seq).toBe(seqsOf.get(deviceId)?.[done.length]);
    delivered.set(deviceId, [...done, seq]);
  }
}
