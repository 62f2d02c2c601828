import type { Client, Pool } from './connect-pool';

/**
 * SQLSTATEs after which the whole transaction is run again: serialization_failure (40001) and
 * deadlock_detected (40P01). Both mean "nothing of this transaction was kept; the same work may succeed now".
 * See: https://www.postgresql.org/docs/15/mvcc-serialization-failure-handling.html
 */
const RETRYABLE = new Set(['40001', '40P01']);
export const MAX_ATTEMPTS = 8;

function isRetryable(error: unknown): boolean {
  return RETRYABLE.has((error as { code?: unknown } | null)?.code as string);
}

/**
 * Runs `work` in ONE transaction (READ COMMITTED: the adapter takes the row locks it needs explicitly, see
 * commit-ingest.ts) and commits it; any throw rolls everything back. A retryable failure runs `work` again on a
 * fresh transaction, after a short random pause, up to MAX_ATTEMPTS times; `work` must therefore keep its
 * state in the database only. A connection whose ROLLBACK fails is destroyed instead of returned to the pool.
 */
export async function runTransaction<R>(pool: Pool, work: (client: Client) => Promise<R>, attempts = MAX_ATTEMPTS): Promise<R> {
  for (let attempt = 1; ; attempt += 1) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      if (!isRetryable(error) || attempt >= attempts) throw error;
    } finally {
      client.release(broken);
    }
    // Jitter keeps two transactions that just deadlocked from meeting again at once.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
  }
}
