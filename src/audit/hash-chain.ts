import { createHash } from 'node:crypto';
import type { AuditEvent } from 'fhir/r4';
import { canonicalJson } from './canonical-json';

/**
 * Tamper-evident audit trail: each entry's hash covers the previous entry's hash and the canonical JSON of
 * its event, so editing, reordering or removing an entry breaks every hash after it.
 * Removing entries at the very end is only detectable against a head hash kept elsewhere
 * (`verifyAuditChain(records, { expectedHead })`).
 */

/** `prevHash` of the first entry of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** One link of the chain as stored (same shape as the store port's AuditRecord). */
export interface ChainRecord {
  seq: number;
  event: AuditEvent;
  prevHash: string;
  hash: string;
}

/** `sha256(prevHash + canonicalJson(event))`, lowercase hex. */
export function chainHash(prevHash: string, event: AuditEvent): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(event)).digest('hex');
}

export interface VerifyChainOptions {
  /**
   * Hash the first record must link to. Defaults to GENESIS_HASH when the first record has seq 1;
   * a window starting later is taken as linked to whatever its first record names.
   */
  prevHash?: string;
  /** Hash the last record must carry (a head recorded out of band), to detect truncation. */
  expectedHead?: string;
}

export type VerifyChainResult = { ok: true } | { ok: false; seq: number };

/**
 * Verify consecutive records (ascending `seq`, no gaps). Pure: no I/O.
 * Returns the seq of the first record whose link or hash does not hold.
 *
 * @example
 * const result = verifyAuditChain(await store.listAudit());
 * if (!result.ok) console.error(`audit chain broken at entry ${result.seq}`);
 */
export function verifyAuditChain(records: readonly ChainRecord[], options: VerifyChainOptions = {}): VerifyChainResult {
  const first = records[0];
  if (first === undefined) return options.expectedHead === undefined ? { ok: true } : { ok: false, seq: 0 };
  let expectedPrev = options.prevHash ?? (first.seq === 1 ? GENESIS_HASH : first.prevHash);
  let expectedSeq = first.seq;
  for (const record of records) {
    if (record.seq !== expectedSeq || record.prevHash !== expectedPrev) return { ok: false, seq: record.seq };
    if (chainHash(record.prevHash, record.event) !== record.hash) return { ok: false, seq: record.seq };
    expectedPrev = record.hash;
    expectedSeq += 1;
  }
  if (options.expectedHead !== undefined && expectedPrev !== options.expectedHead) {
    return { ok: false, seq: expectedSeq - 1 };
  }
  return { ok: true };
}
