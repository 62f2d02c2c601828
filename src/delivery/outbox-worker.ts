import type { Logger } from 'pino';
import type { ClaimedEntry, DeliveryOutcome, OutboxStore } from '../store/port';
import type { CircuitBreaker } from './circuit-breaker';
import type { BatchResult } from './deliver-batch';
import { isGoneOwner, registerLiveOwner } from './lease-owner';

export interface OutboxWorkerOptions {
  store: Pick<OutboxStore, 'claimOutbox' | 'recordDelivery' | 'releaseOutboxLeases' | 'onOutboxWrite'>;
  deliver: (batch: readonly ClaimedEntry[]) => Promise<BatchResult>;
  breaker: CircuitBreaker;
  /** Batches in flight at once (each device's entries are leased together, so it stays in order). */
  concurrency: number;
  batchSize: number;
  leaseMs: number;
  pollMs: number;
  /** Lease owner name (process and instance). */
  owner: string;
  now: () => number;
  logger?: Logger;
  /** Called after each recorded outcome (metrics). */
  onOutcome?: (outcome: DeliveryOutcome, batch: readonly ClaimedEntry[]) => void;
  /** Waits `ms` or until `signal` aborts (stop, or new work); real timers by default. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Whether a lease owner is a worker that no longer runs (default: {@link isGoneOwner} against `owner`). */
  isGone?: (owner: string) => boolean;
}

export interface OutboxWorker {
  /**
   * Releases leases left by workers that no longer run (a crashed earlier process), then starts `concurrency`
   * delivery loops, woken by the store after each commit that queued entries (and polling every `pollMs`).
   */
  start(): void;
  /** Resolves once `start()` has released stale leases (the loops are running by then). */
  started(): Promise<void>;
  /** Releases the leases of gone workers now; resolves to how many entries became due. */
  reclaimLeases(): Promise<number>;
  /** Ends one idle wait (new work has been committed). */
  wake(): void;
  /** Stops claiming, wakes idle loops and waits for batches in flight to be recorded. */
  stop(): Promise<void>;
  /** One claim-deliver-record cycle; resolves to the number of entries handled (0: nothing due or breaker open). */
  runOnce(): Promise<number>;
}

/**
 * The outbox worker: claims due batches, delivers them, records each outcome (with its disclosure audit) in
 * the store — the only place delivery state lives, so a killed process loses nothing: its leases run out and
 * another claim takes the entries over. The circuit breaker gates every claim.
 */
export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const sleep = options.sleep ?? defaultSleep;
  const isGone = options.isGone ?? ((owner: string) => isGoneOwner(owner, options.owner));
  let stopping = new AbortController();
  let loops: Array<Promise<void>> = [];
  let ready: Promise<void> = Promise.resolve();
  let cleanup: Array<() => void> = [];
  /** One controller per idle loop: waking aborts one wait, so a commit wakes one loop, not all of them. */
  const idle: AbortController[] = [];
  /** A wake that found no loop idle: the next loop about to wait looks again first (no lost wake-up). */
  let missedWake = false;
  const wake = (): void => {
    const waiting = idle.shift();
    if (waiting === undefined) missedWake = true;
    else waiting.abort();
  };

  const record = async (result: BatchResult, batch: readonly ClaimedEntry[]): Promise<void> => {
    for (const outcome of result.outcomes) {
      await options.store.recordDelivery(outcome);
      options.onOutcome?.(outcome, batch);
    }
  };

  /**
   * Claim and deliver; the caller writes the outcome (`record`). Until it is written the batch's entries stay
   * leased, so no claim can take them (or a later entry of their device) again.
   */
  const cycle = async (): Promise<{ batch: readonly ClaimedEntry[]; result?: BatchResult }> => {
    const none = { batch: [] };
    if (!options.breaker.tryAcquire()) return none;
    let batch: ClaimedEntry[];
    try {
      batch = await options.store.claimOutbox({ owner: options.owner, now: options.now(), leaseMs: options.leaseMs, maxEntries: options.batchSize });
    } catch (error) {
      options.breaker.release();
      throw error;
    }
    if (batch.length === 0) {
      options.breaker.release();
      return none;
    }
    // There may be more due than this batch: let an idle loop look (it goes back to sleep if there is not).
    wake();
    const result = await options.deliver(batch);
    if (result.failure) options.breaker.failure();
    else options.breaker.success();
    if (result.pauseMs !== undefined) options.breaker.pauseUntil(options.now() + result.pauseMs);
    return { batch, result };
  };

  const runOnce = async (): Promise<number> => {
    const { batch, result } = await cycle();
    if (result) await record(result, batch);
    return batch.length;
  };

  const reclaimLeases = async (): Promise<number> => {
    const released = (await options.store.releaseOutboxLeases?.({ now: options.now(), isGone })) ?? [];
    const entries = released.reduce((n, r) => n + r.entries, 0);
    if (entries > 0) options.logger?.info({ released }, 'released outbox leases of a worker that no longer runs');
    return entries;
  };

  const idleWait = async (signal: AbortSignal): Promise<void> => {
    if (missedWake) {
      missedWake = false;
      return;
    }
    const wait = Math.max(options.breaker.readyAt() - options.now(), options.pollMs);
    const waking = new AbortController();
    idle.push(waking);
    try {
      await sleep(Math.min(wait, 60_000), AbortSignal.any([signal, waking.signal]));
    } finally {
      const at = idle.indexOf(waking);
      if (at >= 0) idle.splice(at, 1);
    }
  };

  const failed = (error: unknown): void => options.logger?.error({ err: error }, 'outbox worker cycle failed');

  /**
   * Each loop claims its next batch while the outcome of its last one is still being written (the two share
   * one commit on the store's writer thread), but never has two outcomes outstanding, and writes the last
   * one before it ends. A lost outcome write leaves its entries leased: redelivered when the lease ends.
   */
  const loop = async (signal: AbortSignal): Promise<void> => {
    await ready;
    let recording: Promise<void> = Promise.resolve();
    while (!signal.aborted) {
      let handled = 0;
      try {
        const { batch, result } = await cycle();
        handled = batch.length;
        await recording;
        if (result) recording = record(result, batch).catch(failed);
      } catch (error) {
        failed(error);
      }
      if (handled > 0 || signal.aborted) continue;
      await recording;
      await idleWait(signal);
    }
    await recording;
  };

  return {
    start() {
      if (loops.length > 0) return;
      stopping = new AbortController();
      cleanup = [registerLiveOwner(options.owner), options.store.onOutboxWrite?.(wake) ?? (() => undefined)];
      // Entries a crashed process had leased are due now, not when its lease runs out (redelivery is safe:
      // every entry is a conditional create or update at the EHR).
      ready = reclaimLeases().then(() => undefined, (error: unknown) => options.logger?.error({ err: error }, 'releasing stale outbox leases failed'));
      loops = Array.from({ length: options.concurrency }, () => loop(stopping.signal));
    },
    started: () => ready,
    async stop() {
      stopping.abort();
      await Promise.all(loops);
      for (const undo of cleanup) undo();
      cleanup = [];
      loops = [];
    },
    reclaimLeases,
    wake,
    runOnce,
  };
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
