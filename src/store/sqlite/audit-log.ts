import type { AuditEvent } from 'fhir/r4';
import { chainHash, GENESIS_HASH } from '../../audit/hash-chain';
import type { AuditRecord } from '../port';
import type { Db } from './open-database';

interface AuditDbRow {
  seq: number;
  event: string;
  prev_hash: string;
  hash: string;
}

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
      const last = head.get();
      const seq = (last?.seq ?? 0) + 1;
      const prevHash = last?.hash ?? GENESIS_HASH;
      // Hash what will be read back (the JSON round trip), so verification sees exactly the hashed value.
      const text = JSON.stringify(event);
      const stored = JSON.parse(text) as AuditEvent;
      const hash = chainHash(prevHash, stored);
      insert.run(seq, text, prevHash, hash);
      return { seq, event: stored, prevHash, hash };
    },
    list(options = {}) {
      // LIMIT -1 is SQLite's "no limit".
      const rows = select.all(options.afterSeq ?? 0, options.limit ?? -1);
      return rows.map((r) => ({ seq: r.seq, event: JSON.parse(r.event) as AuditEvent, prevHash: r.prev_hash, hash: r.hash }));
    },
  };
}
