import type { AuditEvent } from 'fhir/r4';
import type { AuditRecord } from '../port';
import { auditRecordOf, nextAuditEntry, type AuditDbRow } from '../shared/audit-entry';
import type { Client, Pool } from './connect-pool';

/** The audit chain inside one transaction: its head is locked, entries are appended after it. */
export interface LockedChain {
  append(event: AuditEvent): Promise<AuditRecord>;
}

/**
 * Locks the chain head row until the transaction ends (`SELECT … FOR UPDATE`; a concurrent appender waits
 * here, then reads the head the first one committed, READ COMMITTED taking a fresh snapshot per statement).
 * So every entry's prevHash is the hash of the entry committed just before it, however many bridges write:
 * the chain stays strict. The lock is taken as late as possible in each transaction, and held only through
 * the outbox insert, the audit insert and COMMIT.
 */
export async function lockChain(client: Client): Promise<LockedChain> {
  const locked = await client.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head FOR UPDATE');
  let head = locked.rows[0];
  if (head === undefined) throw new Error('audit_head is empty: the schema was not migrated by this release');
  return {
    async append(event) {
      const { text, ...entry } = nextAuditEntry(head, event);
      await client.query('INSERT INTO audit (seq, event, prev_hash, hash) VALUES ($1, $2, $3, $4)', [entry.seq, text, entry.prevHash, entry.hash]);
      await client.query('UPDATE audit_head SET seq = $1, hash = $2', [entry.seq, entry.hash]);
      head = { seq: entry.seq, hash: entry.hash };
      return entry;
    },
  };
}

/** Entries in ascending seq order; `afterSeq` pages through the chain from the start. */
export async function listAudit(pool: Pool, options: { limit?: number; afterSeq?: number } = {}): Promise<AuditRecord[]> {
  // LIMIT NULL is PostgreSQL's "no limit".
  const rows = await pool.query<AuditDbRow>('SELECT seq, event, prev_hash, hash FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2', [
    options.afterSeq ?? 0, options.limit ?? null,
  ]);
  return rows.rows.map(auditRecordOf);
}
