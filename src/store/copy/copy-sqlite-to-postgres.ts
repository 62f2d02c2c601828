import { verifyAuditPages } from '../../audit/verify-audit-pages';
import { auditRecordOf, type AuditDbRow } from '../shared/audit-entry';
import type { AuditRecord } from '../port';
import { appendToChain, listAudit } from '../postgres/audit-chain';
import { connectPool, SCHEMA_NAME, type Client, type Pool } from '../postgres/connect-pool';
import { migrate } from '../postgres/migrations';
import { DEFAULT_SCHEMA } from '../postgres/open-postgres-store';
import { runTransaction } from '../postgres/run-transaction';
import { buildCopyAuditEvent } from './build-copy-audit-event';
import { COPIED_TABLES, type CopiedTable, type TableName } from './copied-tables';
import { checkTargetBeforeMigrate, countRows, insertRows, lockEmptyTarget, moveSequences, setChainHead } from './postgres-target';
import { openSqliteSource, type RowFilter, type SqliteSource } from './sqlite-source';
import { StoreCopyError } from './store-copy-error';

export interface StoreCopyOptions {
  /** The SQLite store file (opened read-only). */
  from: string;
  /** The PostgreSQL URL (never logged nor repeated in an error: it may hold a password). */
  url: string;
  /** Target schema, created and migrated when missing; must hold no data. Default `iomt`. */
  schema?: string;
  /** Who runs the copy, for its audit entry. */
  actor: { system: string; value: string };
  /** Clock for the audit entry and for which jti rows are still kept; real time by default. */
  now?: () => Date;
  /** Seconds a jti is kept after its token expired, as the store keeps it (default 3600). */
  jtiGraceSeconds?: number;
  /** Rows per INSERT (default 500). */
  batchSize?: number;
  /** Called after every batch. */
  onProgress?: (progress: CopyProgress) => void;
}

export interface CopyProgress {
  table: TableName;
  done: number;
  total: number;
}

export interface StoreCopyReport {
  schema: string;
  /** Rows copied per table (`audit`: the SQLite entries, without the copy's own entry). */
  counts: Record<TableName, number>;
  /** The chain head on PostgreSQL after the copy: the copy's own audit entry. */
  auditHead: { seq: number; hash: string };
}

/**
 * Copies a SQLite store into an EMPTY PostgreSQL schema, all or nothing. Refused before anything is written
 * (StoreCopyError, stable codes): a missing file, a SQLite schema that is not this release's, a SQLite audit
 * chain that does not verify, a target schema holding data or unreachable. Then the schema is created and
 * migrated by the adapter's own migrations, and ONE transaction locks its tables, re-checks they are empty,
 * copies every table in key order (same rids, versions, texts, seqs, hashes), moves the identity sequences
 * past the copy, sets the chain head, appends the copy's own audit entry, verifies the whole chain and the
 * row counts, and commits. Any failure rolls all of it back (the migrated, empty schema stays).
 *
 * @example
 * const report = await copySqliteToPostgres({ from: 'data/iomt-bridge.db', url, schema: 'iomt', actor });
 */
export async function copySqliteToPostgres(options: StoreCopyOptions): Promise<StoreCopyReport> {
  const now = options.now ?? (() => new Date());
  const schema = options.schema ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) throw new Error(`the PostgreSQL schema name must match ${String(SCHEMA_NAME)}`);
  const source = openSqliteSource(options.from);
  try {
    const jti: RowFilter = { sql: 'expires_at >= ?', params: [Math.floor(now().getTime() / 1000) - (options.jtiGraceSeconds ?? 3600)] };
    const filters: Partial<Record<TableName, RowFilter>> = { used_jti: jti };
    const totals = Object.fromEntries(COPIED_TABLES.map((t) => [t.name, source.count(t.name, filters[t.name])])) as Record<TableName, number>;
    await checkSourceChain(source, options.from);
    const pool = connectPool({ url: options.url, schema, poolSize: 1 });
    try {
      await reach(pool);
      await checkTargetBeforeMigrate(pool, schema);
      await migrate(pool, schema);
      const copy = { source, schema, filters, totals, now, actor: options.actor, from: options.from, batchSize: options.batchSize ?? 500, onProgress: options.onProgress };
      return await runTransaction(pool, (client) => copyAll(client, copy), 1);
    } finally {
      await pool.end();
    }
  } finally {
    source.close();
  }
}

const AUDIT = COPIED_TABLES.find((t) => t.name === 'audit') as CopiedTable;

/** The copy carries the trail exactly as it is, so a trail that does not verify is not carried at all. */
async function checkSourceChain(source: SqliteSource, file: string): Promise<void> {
  const result = await verifyAuditPages((afterSeq, limit) => source.page(AUDIT, [afterSeq], limit).map((row) => auditRecordOf(row as unknown as AuditDbRow)));
  if (!result.ok) {
    throw new StoreCopyError('ERR_COPY_SOURCE_CHAIN', `the audit chain of the SQLite store ${file} does not verify at entry ${result.seq} (an entry was edited, removed or reordered): nothing was copied`);
  }
}

async function reach(pool: Pool): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    // The driver's reason (ECONNREFUSED, an authentication failure) names no password; the URL is not repeated.
    const reason = (error as Error).message || (error as { code?: string }).code || String(error);
    throw new StoreCopyError('ERR_COPY_TARGET_UNREACHABLE', `the PostgreSQL database could not be reached: ${reason}`, { cause: error });
  }
}

interface Copy {
  source: SqliteSource;
  schema: string;
  filters: Partial<Record<TableName, RowFilter>>;
  totals: Record<TableName, number>;
  now: () => Date;
  actor: StoreCopyOptions['actor'];
  from: string;
  batchSize: number;
  onProgress?: (progress: CopyProgress) => void;
}

async function copyAll(client: Client, copy: Copy): Promise<StoreCopyReport> {
  // `schema` matches SCHEMA_NAME; the connection may predate the schema's creation.
  await client.query(`SET LOCAL search_path TO ${copy.schema}`);
  await lockEmptyTarget(client, copy.schema);
  const counts = {} as Record<TableName, number>;
  for (const table of COPIED_TABLES) counts[table.name] = await copyTable(client, copy, table);
  await moveSequences(client, copy.source.outboxSeqHigh());
  await setChainHead(client);
  const event = buildCopyAuditEvent({ actor: copy.actor, from: copy.from, schema: copy.schema, counts, recorded: copy.now() });
  const [entry] = (await appendToChain(client, [{ event }])) as [AuditRecord];
  await checkTarget(client, counts, entry.hash);
  return { schema: copy.schema, counts, auditHead: { seq: entry.seq, hash: entry.hash } };
}

async function copyTable(client: Client, copy: Copy, table: CopiedTable): Promise<number> {
  const filter = copy.filters[table.name];
  const total = copy.totals[table.name];
  let after: unknown[] | undefined;
  let done = 0;
  for (;;) {
    const rows = copy.source.page(table, after, copy.batchSize, filter);
    const last = rows.at(-1);
    if (last === undefined) break;
    await insertRows(client, table, rows);
    done += rows.length;
    after = table.key.map((k) => last[k]);
    copy.onProgress?.({ table: table.name, done, total });
    if (rows.length < copy.batchSize) break;
  }
  return done;
}

/** Before COMMIT: the chain verifies from the genesis up to the copy's entry, and every table holds what was read. */
async function checkTarget(client: Client, counts: Record<TableName, number>, head: string): Promise<void> {
  const chain = await verifyAuditPages((afterSeq, limit) => listAudit(client, { afterSeq, limit }), { expectedHead: head });
  if (!chain.ok) throw new StoreCopyError('ERR_COPY_TARGET_MISMATCH', `the copied audit chain does not verify at entry ${chain.seq}: rolled back`);
  for (const table of COPIED_TABLES) {
    const expected = counts[table.name] + (table.name === 'audit' ? 1 : 0);
    const found = await countRows(client, table.name);
    if (found !== expected) throw new StoreCopyError('ERR_COPY_TARGET_MISMATCH', `${table.name}: ${found} rows on PostgreSQL, ${expected} expected: rolled back`);
  }
}
