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
  let head = locked.rows[0];
  if (head === undefined) throw new Error('audit_head is empty: the schema was not migrated by this release');
  return {
    async append(event, queue) {
      const { text, ...entry } = nextAuditEntry(head, event);
      const values: unknown[] = [entry.seq, text, entry.prevHash, entry.hash];
      let queued = '';
      if (queue !== undefined && queue.versions.length > 0) {
        // Outbox seqs are drawn here, under the head lock: in commit order (see commit-ingest.ts).
        // ORDER BY the ordinality feeds the identity column in the order given.
        queued = `queued AS (
          INSERT INTO outbox (resource_type, resource_id, version_id, device_id, created_at)
          SELECT t, i, v, $5, $6 FROM unnest($7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS u (t, i, v, n) ORDER BY n),`;
        const { versions } = queue;
        values.push(queue.deviceId, queue.createdAt, versions.map((v) => v.resourceType), versions.map((v) => v.id), versions.map((v) => v.versionId));
      }
      // One statement: a data-modifying WITH runs to completion whether or not the outer query reads it.
      // See: https://www.postgresql.org/docs/15/queries-with.html#QUERIES-WITH-MODIFYING
      await client.query(named(queued === '' ? 'append_audit' : 'append_audit_queued',
        `WITH ${queued}
           entry AS (INSERT INTO audit (seq, event, prev_hash, hash) VALUES ($1, $2, $3, $4) RETURNING seq, hash)
         UPDATE audit_head SET seq = entry.seq, hash = entry.hash FROM entry`,
        values,
      ));
      head = { seq: entry.seq, hash: entry.hash };
      return entry;
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
