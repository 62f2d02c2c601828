import type { AuditEvent } from 'fhir/r4';
import type { AuditRecord } from '../port';
import { auditRecordOf, preparedAuditEntry, type AuditDbRow, type PreparedAuditEntry } from '../shared/audit-entry';
import { named, type Client, type Pool } from './connect-pool';

/** Outbox rows to insert together with an audit entry (their seqs in this order). */
export interface QueuedVersions {
  deviceId: string;
  createdAt: string;
  versions: ReadonlyArray<{ resourceType: string; id: string; versionId: string }>;
}

/** An entry to append, with what is written in the same statement: its outbox rows, its disclosure index rows. */
export interface ChainItem {
  event: AuditEvent;
  queue?: QueuedVersions;
  /** Patients this entry discloses to the EHR (the accounting of disclosures), at `recorded`. */
  disclosed?: { patients: readonly string[]; recorded: string };
}

/**
 * Appends the items' audit entries in order — each with its outbox and disclosure rows — in ONE statement,
 * which also takes the chain head lock. The head row is read `FOR UPDATE` (a concurrent appender waits, then
 * reads the head the first one committed: READ COMMITTED re-reads a locked row's newest version), each
 * entry's hash is computed by the database from the head's (`sha256(prevHash || canonical JSON)`, exactly
 * audit/hash-chain.ts's chainHash), and the head moves to the last entry. So every entry's prevHash is the
 * hash of the entry committed just before it, however many bridges write: the chain stays strict.
 *
 * Why in the database: the head lock is held to COMMIT, and every statement under it costs a round trip and
 * a turn of the bridge's event loop. Here the lock is taken by the last statement before COMMIT, and nothing
 * else is awaited while it is held. Outbox seqs are drawn under it too: in commit order (commit-ingest.ts).
 * See: https://www.postgresql.org/docs/15/queries-with.html#QUERIES-WITH-MODIFYING (data-modifying WITH),
 * https://www.postgresql.org/docs/15/transaction-iso.html#XACT-READ-COMMITTED (a locked row's newest version)
 */
export async function appendToChain(client: Client, items: readonly ChainItem[]): Promise<AuditRecord[]> {
  if (items.length === 0) return [];
  const entries = items.map((item) => preparedAuditEntry(item.event));
  const queued = items.flatMap((item, n) => (item.queue?.versions ?? []).map((v) => ({ ...v, n, queue: item.queue as QueuedVersions })));
  const disclosed = items.flatMap((item, n) => [...new Set(item.disclosed?.patients ?? [])].map((patient) => ({ n: n + 1, patient, recorded: item.disclosed?.recorded })));
  const rows = await client.query<{ seq: number; prev_hash: string; hash: string }>(named('append_audit',
    `WITH RECURSIVE head AS (SELECT seq, hash FROM audit_head FOR UPDATE),
       item AS (SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u (event, canonical, n)),
       chain AS (
         SELECT head.seq + 1 AS seq, item.n, item.event, head.hash AS prev_hash,
                encode(sha256(convert_to(head.hash || item.canonical, 'UTF8')), 'hex') AS hash
         FROM head JOIN item ON item.n = 1
         UNION ALL
         SELECT chain.seq + 1, item.n, item.event, chain.hash,
                encode(sha256(convert_to(chain.hash || item.canonical, 'UTF8')), 'hex')
         FROM chain JOIN item ON item.n = chain.n + 1),
       entry AS (INSERT INTO audit (seq, event, prev_hash, hash) SELECT seq, event, prev_hash, hash FROM chain),
       queued AS (
         INSERT INTO outbox (resource_type, resource_id, version_id, device_id, created_at)
         SELECT t, i, v, d, c FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS u (t, i, v, d, c, n) ORDER BY n),
       disclosed AS (
         INSERT INTO disclosure_index (audit_seq, patient, recorded)
         SELECT chain.seq, d.patient, d.recorded FROM unnest($8::bigint[], $9::text[], $10::text[]) AS d (n, patient, recorded)
         JOIN chain ON chain.n = d.n ON CONFLICT DO NOTHING),
       moved AS (UPDATE audit_head SET seq = last.seq, hash = last.hash FROM (SELECT seq, hash FROM chain ORDER BY n DESC LIMIT 1) AS last)
     SELECT seq, prev_hash, hash FROM chain ORDER BY n`,
    [entries.map((e) => e.text), entries.map((e) => e.canonical),
      queued.map((r) => r.resourceType), queued.map((r) => r.id), queued.map((r) => r.versionId), queued.map((r) => r.queue.deviceId), queued.map((r) => r.queue.createdAt),
      disclosed.map((d) => d.n), disclosed.map((d) => d.patient), disclosed.map((d) => d.recorded)],
  ));
  if (rows.rows.length !== entries.length) throw new Error('audit_head is empty: the schema was not migrated by this release');
  return rows.rows.map((row, i) => ({ seq: row.seq, event: (entries[i] as PreparedAuditEntry).event, prevHash: row.prev_hash, hash: row.hash }));
}

/** Entries in ascending seq order; `afterSeq` pages through the chain from the start. On a client: inside its transaction. */
export async function listAudit(db: Pool | Client, options: { limit?: number; afterSeq?: number } = {}): Promise<AuditRecord[]> {
  // LIMIT NULL is PostgreSQL's "no limit".
  const rows = await db.query<AuditDbRow>('SELECT seq, event, prev_hash, hash FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2', [
    options.afterSeq ?? 0, options.limit ?? null,
  ]);
  return rows.rows.map(auditRecordOf);
}
