import type { AuditEvent } from 'fhir/r4';
import { chainHash, GENESIS_HASH } from '../../audit/hash-chain';
import type { AuditRecord } from '../port';

/** The next link of the audit chain after `head` (none: the genesis), with the text to store. Pure. */
export function nextAuditEntry(head: { seq: number; hash: string } | undefined, event: AuditEvent): AuditRecord & { text: string } {
  const seq = (head?.seq ?? 0) + 1;
  const prevHash = head?.hash ?? GENESIS_HASH;
  // Hash what will be read back (the JSON round trip), so verification sees exactly the hashed value.
  const text = JSON.stringify(event);
  const stored = JSON.parse(text) as AuditEvent;
  return { seq, event: stored, prevHash, hash: chainHash(prevHash, stored), text };
}

/** An `audit` row as both adapters select it. */
export interface AuditDbRow {
  seq: number;
  event: string;
  prev_hash: string;
  hash: string;
}

export function auditRecordOf(row: AuditDbRow): AuditRecord {
  return { seq: row.seq, event: JSON.parse(row.event) as AuditEvent, prevHash: row.prev_hash, hash: row.hash };
}
