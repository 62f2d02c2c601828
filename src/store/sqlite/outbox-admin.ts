import type { AuditEvent } from 'fhir/r4';
import type { AuditRecord, OutboxStore, OutboxSummary } from '../port';
import type { AuditLog } from './audit-log';
import type { Db } from './open-database';
import { outboxQueue, outboxRecordOf, type OutboxDbRow } from './outbox-queue';

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
  const disclosures = db.prepare<[string, string], { seq: number; event: string; prev_hash: string; hash: string }>(
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
      disclosures.all(o.patient, o.since).map((r): AuditRecord => ({
        seq: r.seq, event: JSON.parse(r.event) as AuditEvent, prevHash: r.prev_hash, hash: r.hash,
      })),
  };
}

/** In-process notification of new outbox work (a commit of this process added or re-queued entries). */
export interface OutboxSignal {
  notify(): void;
  subscribe(listener: () => void): () => void;
}

/** A listener that throws is the listener's bug: it must not fail the commit that notified it. */
export function outboxSignal(): OutboxSignal {
  const listeners = new Set<() => void>();
  return {
    notify() {
      for (const listener of listeners) {
        try {
          listener();
        } catch {
          // the listener's own failure; the commit already succeeded
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

function summarise(rows: Array<{ status: string; n: number; leased: number; oldest: string | null }>): OutboxSummary {
  const out: OutboxSummary = { pending: 0, inFlight: 0, delivered: 0, dead: 0 };
  for (const row of rows) {
    if (row.status === 'pending') {
      out.pending = row.n;
      out.inFlight = row.leased ?? 0;
      if (row.oldest !== null) out.oldestPendingAt = row.oldest;
    } else if (row.status === 'delivered' || row.status === 'dead') {
      out[row.status] = row.n;
    }
  }
  return out;
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
