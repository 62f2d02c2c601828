import type { AuditEvent } from 'fhir/r4';
import type { AuditRecord } from '../port';
import { auditRecordOf, nextAuditEntry, type AuditDbRow } from '../shared/audit-entry';
import { named, type Client, type Pool } from './connect-pool';

/** Outbox rows to insert together with an audit entry (their seqs in this order). */
export interface QueuedVersions {
  deviceId: string;
  createdAt: string;
  versions: ReadonlyArray<{ resourceType: string; id: string; versionId: string }>;
}

/** The audit chain inside one transaction: its head is locked, entries are appended after it. */
export interface LockedChain {
  /** Appends `event`; `queue` inserts outbox rows in the same statement (one round trip under the lock). */
  append(event: AuditEvent, queue?: QueuedVersions): Promise<AuditRecord>;
  /** Appends the events in order, each with its outbox rows, in ONE statement (a group commit's entries). */
  appendAll(entries: ReadonlyArray<{ event: AuditEvent; queue?: QueuedVersions }>): Promise<AuditRecord[]>;
}

/**
 * Locks the chain head row until the transaction ends (`SELECT … FOR UPDATE`; a concurrent appender waits
 * here, then reads the head the first one committed, READ COMMITTED taking a fresh snapshot per statement).
 * So every entry's prevHash is the hash of the entry committed just before it, however many bridges write:
 * the chain stays strict. The lock is taken as late as possible in each transaction, and held only through
 * the outbox insert, the audit insert and COMMIT.
 */
export async function lockChain(client: Client): Promise<LockedChain> {
  const locked = await client.query<{ seq: number; hash: string }>(named('lock_chain', 'SELECT seq, hash FROM audit_head FOR UPDATE', []));
  const first = locked.rows[0];
  if (first === undefined) throw new Error('audit_head is empty: the schema was not migrated by this release');
  let head = first;
  const appendAll: LockedChain['appendAll'] = async (items) => {
    if (items.length === 0) return [];
    const entries: Array<AuditRecord & { text: string }> = [];
    for (const item of items) {
      const entry = nextAuditEntry(head, item.event);
      entries.push(entry);
      head = { seq: entry.seq, hash: entry.hash };
    }
    const rows = items.flatMap((item) => (item.queue?.versions ?? []).map((v) => ({ ...v, deviceId: item.queue?.deviceId, createdAt: item.queue?.createdAt })));
    // One statement: a data-modifying WITH runs to completion whether or not the outer query reads it.
    // Outbox seqs are drawn here, under the head lock: in commit order (see commit-ingest.ts); ORDER BY the
    // ordinality feeds the identity column in the order given.
    // See: https://www.postgresql.org/docs/15/queries-with.html#QUERIES-WITH-MODIFYING
    await client.query(named('append_audit',
      `WITH queued AS (
         INSERT INTO outbox (resource_type, resource_id, version_id, device_id, created_at)
         SELECT t, i, v, d, c FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS u (t, i, v, d, c, n) ORDER BY n),
       entry AS (INSERT INTO audit (seq, event, prev_hash, hash) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]))
       UPDATE audit_head SET seq = $10, hash = $11`,
      [entries.map((e) => e.seq), entries.map((e) => e.text), entries.map((e) => e.prevHash), entries.map((e) => e.hash),
        rows.map((r) => r.resourceType), rows.map((r) => r.id), rows.map((r) => r.versionId), rows.map((r) => r.deviceId), rows.map((r) => r.createdAt),
        head.seq, head.hash],
    ));
    return entries.map(({ text: _text, ...record }) => record);
  };
  return {
    appendAll,
    async append(event, queue) {
      const [record] = await appendAll([{ event, queue }]);
      return record as AuditRecord;
    },
  };
}

/** Entries in ascending seq order; `afterSeq` pages through the chain from the start. On a client: inside its transaction. */
export async function listAudit(db: Pool | Client, options: { limit?: number; afterSeq?: number } = {}): Promise<AuditRecord[]> {
  // LIMIT NULL is PostgreSQL's "no limit".
  const rows = await db.query<AuditDbRow>('SELECT seq, event, prev_hash, hash FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2', [
    options.afterSeq ?? 0, options.limit ?? null,
  ]);
  return rows.rows.map(auditRecordOf);
}
