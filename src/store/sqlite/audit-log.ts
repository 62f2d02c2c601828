import type { AuditEvent } from 'fhir/r4';
import type { AuditRecord } from '../port';
import { auditRecordOf, nextAuditEntry, type AuditDbRow } from '../shared/audit-entry';
import type { Db } from './open-database';

export interface ListAuditOptions {
  /** Most entries to return (default all). */
  limit?: number;
  /** Return entries with seq greater than this (paging through the chain from the start). */
  afterSeq?: number;
}

/** The audit table as a hash chain (see src/audit/hash-chain.ts). */
export interface AuditLog {
  /** Append one entry. Must run inside a write transaction so the chain head cannot move underneath. */
  append(event: AuditEvent): AuditRecord;
  /** Entries in ascending seq order. */
  list(options?: ListAuditOptions): AuditRecord[];
}

export function auditLog(db: Db): AuditLog {
  const head = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare('INSERT INTO audit (seq, event, prev_hash, hash) VALUES (?, ?, ?, ?)');
  const select = db.prepare<[number, number], AuditDbRow>('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?');
  return {
    append(event) {
      const { text, ...entry } = nextAuditEntry(head.get(), event);
      insert.run(entry.seq, text, entry.prevHash, entry.hash);
      return entry;
    },
    list(options = {}) {
      // LIMIT -1 is SQLite's "no limit".
      const rows = select.all(options.afterSeq ?? 0, options.limit ?? -1);
      return rows.map(auditRecordOf);
    },
  };
}
