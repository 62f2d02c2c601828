import type { AuditEvent } from 'fhir/r4';
import { canonicalJson } from '../../audit/canonical-json';
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

/** An event as it will be stored (`text`) and read back (`event`), and the canonical JSON its hash covers. */
export interface PreparedAuditEntry {
  event: AuditEvent;
  text: string;
  canonical: string;
}

/**
 * What an adapter needs to append `event` when the database computes the link (PostgreSQL): the hash is
 * `sha256(prevHash + canonical)`, as chainHash computes it. Pure.
 */
export function preparedAuditEntry(event: AuditEvent): PreparedAuditEntry {
  // Hash what will be read back (the JSON round trip), so verification sees exactly the hashed value.
  const text = JSON.stringify(event);
  const stored = JSON.parse(text) as AuditEvent;
  return { event: stored, text, canonical: canonicalJson(stored) };
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
