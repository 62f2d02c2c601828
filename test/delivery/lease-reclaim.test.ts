import { createCircuitBreaker, createOutboxWorker, type OutboxWorkerOptions } from '../../src/delivery';
import { isGoneOwner, leaseOwnerName, registerLiveOwner } from '../../src/delivery/lease-owner';
import { commitOf, device, NOW, observation, tempSqliteStore, type TempSqliteStore } from '../store/store-fixtures';

const t0 = NOW.getTime();

describe('isGoneOwner', () => {
  const self = 'host-a:100:self';
  const alive = (pid: number) => pid === 200;
  it.each<[string, boolean]>([
    ['host-a:300:x', true], // same host, process 300 no longer runs (kill -9)
    ['host-a:200:x', false], // same host, process 200 still runs (another bridge on this data folder)
    ['host-a:100:old', true], // an earlier run that had our pid (container restart)
    [self, false], // ourselves
    ['host-b:300:x', false], // another host: its lease ends by time
    ['not an owner', false],
    ['host:with:colons:300:x', false], // other host name
  ])('%s → %s', (owner, gone) => {
    expect(isGoneOwner(owner, self, alive)).toBe(gone);
  });

  it('never judges a live worker of this very process gone', () => {
    const mine = leaseOwnerName('host-a', 100, 'sibling');
    const unregister = registerLiveOwner(mine);
    try {
      expect(isGoneOwner(mine, self, alive)).toBe(false);
    } finally {
      unregister();
    }
    expect(isGoneOwner(mine, self, alive)).toBe(true);
  });
});

describe('releaseOutboxLeases and onOutboxWrite (SQLite)', () => {
  let ts: TempSqliteStore;
  beforeEach(async () => {
    ts = tempSqliteStore();
    for (const id of ['d1', 'd2']) await ts.store.addDevice({ id, publicJwk: { kty: 'EC' } });
  });
  afterEach(() => ts.cleanup());

  it('releases the running leases of gone owners only, without counting an attempt', async () => {
    await ts.store.commitIngest(commitOf([device('d1', 'Patient/p1'), observation({ id: 'o1', device: 'Device/d1' })], undefined, 'd1'));
    await ts.store.commitIngest(commitOf([observation({ id: 'o2', device: 'Device/d2', subject: 'Patient/p2' })], undefined, 'd2'));
    await ts.store.claimOutbox({ owner: 'dead-worker', now: t0, leaseMs: 3_600_000, maxEntries: 2 });
    await ts.store.claimOutbox({ owner: 'live-worker', now: t0, leaseMs: 3_600_000, maxEntries: 2 });
    expect(await ts.store.claimOutbox({ owner: 'new', now: t0 + 1, leaseMs: 1000, maxEntries: 10 })).toEqual([]);

    const released = await ts.store.releaseOutboxLeases!({ now: t0 + 1, isGone: (owner) => owner === 'dead-worker' });
    expect(released).toEqual([{ owner: 'dead-worker', entries: 2 }]);
    const again = await ts.store.claimOutbox({ owner: 'new', now: t0 + 1, leaseMs: 1000, maxEntries: 10 });
    expect(again.map((c) => [c.record.deviceId, c.record.attempts])).toEqual([['d1', 0], ['d1', 0]]);
  });

  it('tells listeners after a commit that queued entries, not after one that changed nothing', async () => {
    const calls: string[] = [];
    const unsubscribe = ts.store.onOutboxWrite!(() => calls.push('written'));
    await ts.store.commitIngest(commitOf([observation({ id: 'o1', device: 'Device/d1' })], undefined, 'd1'));
    await ts.store.commitIngest(commitOf([observation({ id: 'o1', device: 'Device/d1' })], undefined, 'd1')); // same content: no new version
    expect(calls).toEqual(['written']);
    unsubscribe();
    await ts.store.commitIngest(commitOf([observation({ id: 'o9', device: 'Device/d1' })], undefined, 'd1'));
    expect(calls).toEqual(['written']);
  });
});

describe('outbox worker start-up and wake-up', () => {
  /** A worker whose idle waits end only when woken or stopped: a test that passes cannot have polled. */
  function worker(store: OutboxWorkerOptions['store'], deliver: OutboxWorkerOptions['deliver']) {
    const breaker = createCircuitBreaker({ threshold: 5, cooldownMs: 1000, maxCooldownMs: 60_000, now: () => t0 });
    const sleep = (_ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return createOutboxWorker({
      store, deliver, breaker, concurrency: 2, batchSize: 10, leaseMs: 60_000, pollMs: 3_600_000, owner: 'host:1:me', now: () => t0, sleep,
      isGone: (owner) => owner.startsWith('gone'),
    });
  }

  it('releases gone workers\' leases before its first claim, and a commit wakes it (no polling)', async () => {
    const events: string[] = [];
    let listener: (() => void) | undefined;
    let due = 0;
    let delivered: () => void = () => undefined;
    const deliveredOnce = new Promise<void>((resolve) => { delivered = resolve; });
    const store: OutboxWorkerOptions['store'] = {
      releaseOutboxLeases: async ({ isGone }) => {
        events.push(`release gone:${String(isGone('gone:1:x'))} me:${String(isGone('host:1:me'))}`);
        return [{ owner: 'gone:1:x', entries: 3 }];
      },
      claimOutbox: async () => {
        events.push('claim');
        if (due === 0) return [];
        due = 0;
        return [{ record: { seq: 1 } as never, resource: {} as never }];
      },
      recordDelivery: async () => { events.push('record'); delivered(); },
      onOutboxWrite: (l) => { listener = l; return () => { listener = undefined; }; },
    };
    const w = worker(store, async () => ({ outcomes: [{ now: t0 }], foreignLocations: 0 }));
    w.start();
    await w.started();
    await new Promise((resolve) => setImmediate(resolve)); // both loops reach their (endless) idle wait
    expect(events).toEqual(['release gone:true me:false', 'claim', 'claim']);
    due = 1;
    listener?.();
    await deliveredOnce;
    await w.stop();
    expect(events.slice(3)).toEqual(expect.arrayContaining(['claim', 'record']));
    expect(listener).toBeUndefined(); // unsubscribed on stop
  });
});

describe('outbox worker: outcomes written while the next batch goes out', () => {
  it('claims and delivers the next batch before the last outcome is written, never has two outstanding, and writes the last before stopping', async () => {
    const events: string[] = [];
    const writes: Array<() => void> = [];
    let batches = 3;
    let seq = 0;
    let outstanding = 0;
    let most = 0;
    let allRecorded: () => void = () => undefined;
    const lastRecorded = new Promise<void>((resolve) => { allRecorded = resolve; });
    const store: OutboxWorkerOptions['store'] = {
      releaseOutboxLeases: async () => [],
      claimOutbox: async () => {
        if (batches === 0) return [];
        batches -= 1;
        seq += 1;
        events.push(`claim ${seq}`);
        return [{ record: { seq } as never, resource: {} as never }];
      },
      // Each outcome write waits until the test lets it finish.
      recordDelivery: (outcome) => new Promise<void>((resolve) => {
        outstanding += 1;
        most = Math.max(most, outstanding);
        const which = outcome.delivered?.[0]?.seq;
        events.push(`record ${String(which)} started`);
        writes.push(() => {
          outstanding -= 1;
          events.push(`record ${String(which)} done`);
          resolve();
          if (which === 3) allRecorded();
        });
      }),
    };
    const breaker = createCircuitBreaker({ threshold: 5, cooldownMs: 1000, maxCooldownMs: 60_000, now: () => t0 });
    const sleep = (_ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const w = createOutboxWorker({
      store, breaker, concurrency: 1, batchSize: 10, leaseMs: 60_000, pollMs: 3_600_000, owner: 'host:1:me', now: () => t0, sleep,
      deliver: async (batch) => {
        events.push(`deliver ${batch[0]?.record.seq ?? 0}`);
        return { outcomes: [{ now: t0, delivered: [{ seq: batch[0]?.record.seq ?? 0 }] }], foreignLocations: 0 };
      },
    });
    w.start();
    // Let the loop run until it waits on the first outcome write with the second batch already delivered.
    while (!events.includes('deliver 2')) await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['claim 1', 'deliver 1', 'record 1 started', 'claim 2', 'deliver 2']);
    while (writes.length > 0 || !events.includes('record 3 started')) {
      writes.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const stopped = w.stop();
    writes.shift()?.();
    await lastRecorded;
    await stopped;
    expect(most).toBe(1);
    expect(events.filter((e) => e.endsWith('done'))).toEqual(['record 1 done', 'record 2 done', 'record 3 done']);
    expect(events.indexOf('record 2 started')).toBeGreaterThan(events.indexOf('record 1 done'));
  });
});
