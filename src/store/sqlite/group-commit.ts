import type { Db } from './open-database';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Runs `work` (a better-sqlite3 transaction function) inside the next group commit; settles after COMMIT. */
export type GroupCommit = <R>(work: () => R) => Promise<R>;

/**
 * Group commit: writes that arrive while the event loop is busy are applied in ONE outer transaction, so a
 * burst of concurrent ingest requests costs one WAL fsync instead of one each. Each write keeps its own
 * all-or-nothing unit — better-sqlite3 runs a transaction function called inside another as a SAVEPOINT, so
 * a write that throws (a replayed jti) is rolled back alone — and each caller's promise settles only after the
 * outer COMMIT is durable (synchronous=FULL). The answer to a device is therefore still "after the commit".
 * See: https://www.sqlite.org/lang_savepoint.html, https://www.sqlite.org/wal.html#performance_considerations
 */
export function groupCommitter(db: Db): GroupCommit {
  let queue: Pending[] = [];

  const flush = (): void => {
    const batch = queue;
    queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const all = db.transaction(() => {
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: item.work() });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
    try {
      all.immediate();
    } catch (error) {
      // The outer COMMIT itself failed: nothing of the batch is written, and every caller hears so.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) item.resolve(outcome.value);
      else item.reject(outcome?.error);
    });
  };

  return <R>(work: () => R) => new Promise<R>((resolve, reject) => {
    if (queue.length === 0) setImmediate(flush);
    queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
  });
}
