import type { Logger } from 'pino';
import type { ClaimedEntry, DeliveryOutcome, OutboxStore } from '../store/port';
import type { CircuitBreaker } from './circuit-breaker';
import type { BatchResult } from './deliver-batch';

export interface OutboxWorkerOptions {
  store: Pick<OutboxStore, 'claimOutbox' | 'recordDelivery'>;
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
  /** Waits `ms` or until `signal` aborts; real timers by default. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface OutboxWorker {
  /** Starts `concurrency` delivery loops. */
  start(): void;
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
  let stopping = new AbortController();
  let loops: Array<Promise<void>> = [];

  const runOnce = async (): Promise<number> => {
    if (!options.breaker.tryAcquire()) return 0;
    let batch: ClaimedEntry[];
    try {
      batch = await options.store.claimOutbox({ owner: options.owner, now: options.now(), leaseMs: options.leaseMs, maxEntries: options.batchSize });
    } catch (error) {
      options.breaker.release();
      throw error;
    }
    if (batch.length === 0) {
      options.breaker.release();
      return 0;
    }
    const result = await options.deliver(batch);
    for (const outcome of result.outcomes) {
      await options.store.recordDelivery(outcome);
      options.onOutcome?.(outcome, batch);
    }
    if (result.failure) options.breaker.failure();
    else options.breaker.success();
    if (result.pauseMs !== undefined) options.breaker.pauseUntil(options.now() + result.pauseMs);
    return batch.length;
  };

  const loop = async (signal: AbortSignal): Promise<void> => {
    while (!signal.aborted) {
      let handled = 0;
      try {
        handled = await runOnce();
      } catch (error) {
        options.logger?.error({ err: error }, 'outbox worker cycle failed');
      }
      if (handled > 0 || signal.aborted) continue;
      const wait = Math.max(options.breaker.readyAt() - options.now(), options.pollMs);
      await sleep(Math.min(wait, 60_000), signal);
    }
  };

  return {
    start() {
      if (loops.length > 0) return;
      stopping = new AbortController();
      loops = Array.from({ length: options.concurrency }, () => loop(stopping.signal));
    },
    async stop() {
      stopping.abort();
      await Promise.all(loops);
      loops = [];
    },
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
