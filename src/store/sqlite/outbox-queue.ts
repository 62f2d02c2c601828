import type { Device, Observation } from 'fhir/r4';
import type { ClaimedEntry, ClaimOutboxOptions, DeliveryOutcome } from '../port';
import { keptResponse as kept, outboxRecordOf, type OutboxDbRow } from '../shared/outbox-record';
import type { AuditLog } from './audit-log';
import type { Db } from './open-database';

export interface OutboxQueue {
  claim(options: ClaimOutboxOptions): ClaimedEntry[];
  record(outcome: DeliveryOutcome): void;
  /** Ends running leases of owners `isGone` names; returns the entries released per owner. */
  release(now: number, isGone: (owner: string) => boolean): Array<{ owner: string; entries: number }>;
}

/**
 * The outbox as a work queue. Claims run in an IMMEDIATE transaction, so two processes (or a restarted one
 * while the old lease is still running out) never lease the same entry twice at once. A lease ends by time:
 * the entries of a process killed mid-delivery become due again when it expires (and their redelivery is
 * harmless: the EHR side is conditional create).
 */
export function outboxQueue(db: Db, audit: AuditLog): OutboxQueue {
  const sql = statements(db);
  const claimTx = db.transaction((o: ClaimOutboxOptions) => claimBatch(sql, o));
  const recordTx = db.transaction((o: DeliveryOutcome) => recordOutcome(sql, audit, o));
  const releaseTx = db.transaction((now: number, isGone: (owner: string) => boolean) =>
    sql.owners.all(now).map((r) => r.lease_owner).filter((owner) => isGone(owner))
      .map((owner) => ({ owner, entries: sql.release.run(owner).changes })));
  return {
    claim: (o) => claimTx.immediate(o),
    record: (o) => recordTx.immediate(o),
    release: (now, isGone) => releaseTx.immediate(now, isGone),
  };
}

interface Head {
  device_id: string;
  seq: number;
}

type Statements = ReturnType<typeof statements>;

function statements(db: Db) {
  const clear = 'lease_owner = NULL, lease_until = 0, attempts = attempts + 1';
  return {
    // Heads are found per registered device (an index seek each) rather than by grouping the whole pending
    // backlog, which after an outage can be large. A head that waits for its retry or is leased holds back
    // its whole device: delivery is ordered per device.
    heads: db.prepare<[number, number, number], Head>(
      `SELECT h.device_id, h.seq FROM (
         SELECT d.id AS device_id,
           (SELECT seq FROM outbox WHERE device_id = d.id AND status = 'pending' ORDER BY seq LIMIT 1) AS seq
         FROM devices d) h
       JOIN outbox o ON o.seq = h.seq
       WHERE o.next_attempt_at <= ? AND o.lease_until <= ?
       ORDER BY h.seq LIMIT ?`,
    ),
    run: db.prepare<[string, number], { seq: number }>(
      `SELECT seq FROM outbox WHERE device_id = ? AND status = 'pending' ORDER BY seq LIMIT ?`,
    ),
    lease: db.prepare('UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE seq = ?'),
    claimed: db.prepare<[number], OutboxDbRow & { content: string }>(
      `SELECT o.*, h.content FROM outbox o
       JOIN resource_history h ON h.type = o.resource_type AND h.id = o.resource_id AND h.version_id = o.version_id
       WHERE o.seq = ?`,
    ),
    delivered: db.prepare(
      `UPDATE outbox SET status = 'delivered', delivered_at = ?, ehr_reference = ?, last_error = NULL, ehr_response = NULL, ${clear}
       WHERE seq = ? AND status = 'pending'`,
    ),
    retry: db.prepare(
      `UPDATE outbox SET next_attempt_at = ?, last_error = ?, ehr_response = ?, ${clear} WHERE seq = ? AND status = 'pending'`,
    ),
    dead: db.prepare(
      `UPDATE outbox SET status = 'dead', last_error = ?, ehr_response = ?, ${clear} WHERE seq = ? AND status = 'pending'`,
    ),
    disclose: db.prepare('INSERT OR IGNORE INTO disclosure_index (audit_seq, patient, recorded) VALUES (?, ?, ?)'),
    owners: db.prepare<[number], { lease_owner: string }>(
      `SELECT DISTINCT lease_owner FROM outbox WHERE status = 'pending' AND lease_until > ? AND lease_owner IS NOT NULL`,
    ),
    // Not an attempt: the entries were never answered for, so `attempts` stays as it was.
    release: db.prepare(`UPDATE outbox SET lease_owner = NULL, lease_until = 0 WHERE status = 'pending' AND lease_owner = ?`),
  };
}

function claimBatch(sql: Statements, o: ClaimOutboxOptions): ClaimedEntry[] {
  const seqs: number[] = [];
  for (const head of sql.heads.all(o.now, o.now, o.maxEntries)) {
    const room = o.maxEntries - seqs.length;
    if (room <= 0) break;
    for (const r of sql.run.all(head.device_id, room)) seqs.push(r.seq);
  }
  for (const seq of seqs) sql.lease.run(o.owner, o.now + o.leaseMs, seq);
  return seqs.map((seq) => {
    const row = sql.claimed.get(seq) as OutboxDbRow & { content: string };
    return { record: outboxRecordOf(row), resource: JSON.parse(row.content) as Device | Observation };
  });
}

/** Writes one attempt's outcome and its disclosure entry (with one index row per patient) together. */
function recordOutcome(sql: Statements, audit: AuditLog, o: DeliveryOutcome): void {
  const nowIso = new Date(o.now).toISOString();
  for (const d of o.delivered ?? []) sql.delivered.run(nowIso, d.ehrReference ?? null, d.seq);
  if (o.retry) {
    for (const seq of o.retry.seqs) sql.retry.run(o.retry.nextAttemptAt, o.retry.error, kept(o.retry.ehrResponse), seq);
  }
  for (const d of o.dead ?? []) sql.dead.run(d.error, kept(d.ehrResponse), d.seq);
  if (o.audit) {
    const entry = audit.append(o.audit.event);
    const recorded = entry.event.recorded ?? nowIso;
    for (const patient of new Set(o.audit.patients)) sql.disclose.run(entry.seq, patient, recorded);
  }
}
