import { GENESIS_HASH, verifyAuditChain, type ChainRecord } from './hash-chain';

/** Reads up to `limit` records with seq greater than `afterSeq`, ascending (a store's listAudit, or SQL). */
export type ReadAuditPage = (afterSeq: number, limit: number) => Promise<readonly ChainRecord[]> | readonly ChainRecord[];

export type VerifyPagesResult =
  | { ok: true; entries: number; head: { seq: number; hash: string } }
  | { ok: false; seq: number };

/**
 * Verifies a whole chain from its genesis, one page at a time, so a long trail is never held in memory: each
 * page must start right after the previous one (seq + 1) and link to its last hash. `expectedHead` (a head
 * recorded elsewhere) detects a truncated end. An empty chain has the head `{ seq: 0, hash: GENESIS_HASH }`.
 *
 * @example
 * const result = await verifyAuditPages((afterSeq, limit) => store.listAudit({ afterSeq, limit }));
 * if (!result.ok) console.error(`audit chain broken at entry ${result.seq}`);
 */
export async function verifyAuditPages(read: ReadAuditPage, options: { pageSize?: number; expectedHead?: string } = {}): Promise<VerifyPagesResult> {
  const pageSize = options.pageSize ?? 1000;
  let head = { seq: 0, hash: GENESIS_HASH };
  for (;;) {
    const page = await read(head.seq, pageSize);
    const first = page[0];
    const last = page.at(-1);
    if (first === undefined || last === undefined) break;
    if (first.seq !== head.seq + 1) return { ok: false, seq: first.seq };
    const result = verifyAuditChain(page, { prevHash: head.hash });
    if (!result.ok) return result;
    head = { seq: last.seq, hash: last.hash };
  }
  if (options.expectedHead !== undefined && options.expectedHead !== head.hash) return { ok: false, seq: head.seq };
  return { ok: true, entries: head.seq, head };
}
