import type { OutboxStore } from '../port';
import { auditRecordOf, type AuditDbRow } from '../shared/audit-entry';
import type { AuditLog } from './audit-log';
import type { Db } from './open-database';
import { outboxRecordOf, outboxSignal, summarise, type OutboxDbRow, type OutboxSignal } from '../shared/outbox-record';
import { outboxQueue } from './outbox-queue';

/** Widest `IN (...)` list per statement (SQLite's default host-parameter limit is 32766). */
const MAX_SEQS = 10_000;

/**
 * The outbox methods of the SQLite store: the queue (claim, record) and the operators' side (replay, purge,
 * status, listing) and the accounting of disclosures. Every operator action is audited in its own transaction.
 */
export function outboxStore(db: Db, audit: AuditLog, now: () => Date, signal: OutboxSignal = outboxSignal()): OutboxStore {
  const queue = outboxQueue(db, audit);
  const summary = db.prepare<[{ now: number }], { status: string; n: number; leased: number; oldest: string | null }>(
    `SELECT status, COUNT(*) AS n, SUM(lease_until > @now) AS leased, MIN(created_at) AS oldest FROM outbox GROUP BY status`,
  );
  const list = db.prepare<[{ status: string | null; after: number; limit: number }], OutboxDbRow>(
    `SELECT * FROM outbox WHERE (@status IS NULL OR status = @status) AND seq > @after ORDER BY seq LIMIT @limit`,
  );
  const disclosures = db.prepare<[string, string], AuditDbRow>(
    `SELECT a.* FROM disclosure_index d JOIN audit a ON a.seq = d.audit_seq
     WHERE d.patient = ? AND d.recorded >= ? ORDER BY a.seq`,
  );
  const replay = db.transaction((o: Parameters<OutboxStore['replayOutbox']>[0]) => replayTx(db, audit, o));
  const purge = db.transaction((o: Parameters<OutboxStore['purgeOutbox']>[0]) => purgeTx(db, audit, o));
  return {
    claimOutbox: async (o) => queue.claim(o),
    recordDelivery: async (o) => queue.record(o),
    replayOutbox: async (o) => {
      const changes = replay.immediate(o);
      if (changes > 0) signal.notify();
      return changes;
    },
    releaseOutboxLeases: async (o) => queue.release(o.now, o.isGone),
    onOutboxWrite: (listener) => signal.subscribe(listener),
    purgeOutbox: async (o) => purge.immediate(o),
    outboxSummary: async () => summarise(summary.all({ now: now().getTime() })),
    listOutbox: async (o) => list.all({ status: o.status ?? null, after: o.afterSeq ?? 0, limit: o.limit }).map(outboxRecordOf),
    listDisclosures: async (o) =>
      disclosures.all(o.patient, o.since).map(auditRecordOf),
  };
}

function replayTx(db: Db, audit: AuditLog, o: Parameters<OutboxStore['replayOutbox']>[0]): number {
  const statuses = o.which === 'dead' ? `('dead')` : `('dead', 'delivered')`;
  const set = `status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = 0, lease_owner = NULL, delivered_at = NULL`;
  let changes = 0;
  if (o.seqs === undefined) {
    changes = db.prepare(`UPDATE outbox SET ${set} WHERE status IN ${statuses}`).run(o.now).changes;
  } else {
    for (const chunk of chunks(o.seqs)) {
      const marks = chunk.map(() => '?').join(',');
      changes += db.prepare(`UPDATE outbox SET ${set} WHERE status IN ${statuses} AND seq IN (${marks})`).run(o.now, ...chunk).changes;
    }
  }
  audit.append(o.audit);
  return changes;
}

function purgeTx(db: Db, audit: AuditLog, o: Parameters<OutboxStore['purgeOutbox']>[0]): number {
  const changes = db.prepare(`DELETE FROM outbox WHERE status = ? AND (? IS NULL OR created_at < ?)`)
    .run(o.status, o.before ?? null, o.before ?? null).changes;
  audit.append(o.audit);
  return changes;
}

function chunks(seqs: number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < seqs.length; i += MAX_SEQS) out.push(seqs.slice(i, i + MAX_SEQS));
  return out;
}
