import type { OutboxStore } from '../port';
import { auditRecordOf, type AuditDbRow } from '../shared/audit-entry';
import { outboxRecordOf, summarise, type OutboxDbRow, type OutboxSignal, type SummaryRow } from '../shared/outbox-record';
import { appendToChain } from './audit-chain';
import type { Pool } from './connect-pool';
import { outboxQueue } from './outbox-queue';
import { runTransaction } from './run-transaction';

/**
 * The outbox methods of the PostgreSQL store: the queue (claim, record) and the operators' side (replay,
 * purge, status, listing) and the accounting of disclosures. Every operator action is audited in its own
 * transaction. `signal` wakes this process's delivery worker; workers of other bridges find new work at their
 * next poll.
 */
export function outboxStore(pool: Pool, now: () => Date, signal: OutboxSignal): OutboxStore {
  const queue = outboxQueue(pool);
  return {
    claimOutbox: (o) => queue.claim(o),
    recordDelivery: (o) => queue.record(o),
    releaseOutboxLeases: (o) => queue.release(o.now, o.isGone),
    onOutboxWrite: (listener) => signal.subscribe(listener),
    async replayOutbox(o) {
      const statuses = o.which === 'dead' ? ['dead'] : ['dead', 'delivered'];
      const changes = await runTransaction(pool, async (client) => {
        const result = await client.query(
          `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_until = 0, lease_owner = NULL, delivered_at = NULL
           WHERE status = ANY($2::text[]) AND ($3::bigint[] IS NULL OR seq = ANY($3::bigint[]))`,
          [o.now, statuses, o.seqs ?? null],
        );
        await appendToChain(client, [{ event: o.audit }]);
        return result.rowCount ?? 0;
      });
      if (changes > 0) signal.notify();
      return changes;
    },
    purgeOutbox: (o) => runTransaction(pool, async (client) => {
      const result = await client.query(`DELETE FROM outbox WHERE status = $1 AND ($2::text IS NULL OR created_at < $2::text)`, [o.status, o.before ?? null]);
      await appendToChain(client, [{ event: o.audit }]);
      return result.rowCount ?? 0;
    }),
    async outboxSummary() {
      const rows = await pool.query<SummaryRow>(
        `SELECT status, COUNT(*)::int AS n, COUNT(*) FILTER (WHERE lease_until > $1)::int AS leased, MIN(created_at) AS oldest
         FROM outbox GROUP BY status`,
        [now().getTime()],
      );
      return summarise(rows.rows);
    },
    async listOutbox(o) {
      const rows = await pool.query<OutboxDbRow>(
        'SELECT * FROM outbox WHERE ($1::text IS NULL OR status = $1::text) AND seq > $2 ORDER BY seq LIMIT $3',
        [o.status ?? null, o.afterSeq ?? 0, o.limit],
      );
      return rows.rows.map(outboxRecordOf);
    },
    async listDisclosures(o) {
      const rows = await pool.query<AuditDbRow>(
        `SELECT a.seq, a.event, a.prev_hash, a.hash FROM disclosure_index d JOIN audit a ON a.seq = d.audit_seq
         WHERE d.patient = $1 AND d.recorded >= $2 ORDER BY a.seq`,
        [o.patient, o.since],
      );
      return rows.rows.map(auditRecordOf);
    },
  };
}
