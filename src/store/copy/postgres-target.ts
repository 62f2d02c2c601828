import type { Client, Pool } from '../postgres/connect-pool';
import { SCHEMA_VERSION } from '../postgres/migrations';
import { COPIED_TABLES, type CopiedTable, type TableName } from './copied-tables';
import type { Row } from './sqlite-source';
import { StoreCopyError } from './store-copy-error';

type Queryable = Pool | Client;

/**
 * Before anything is created or migrated: the target schema must be missing, empty (a DBA may create it
 * beforehand), or an iomt-bridge schema whose tables hold no row and whose chain head is the genesis.
 * Anything else is refused, naming what is there; nothing is written.
 */
export async function checkTargetBeforeMigrate(pool: Pool, schema: string): Promise<void> {
  const relations = await pool.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname`,
    [schema],
  );
  const names = relations.rows.map((r) => r.relname);
  if (names.length === 0) return;
  if (!names.includes('schema_version')) {
    throw new StoreCopyError('ERR_COPY_TARGET_NOT_EMPTY', `the PostgreSQL schema ${schema} holds tables iomt-bridge did not create (${names.slice(0, 5).join(', ')}): choose an empty or a new schema`);
  }
  const version = (await pool.query<{ version: number }>(`SELECT version FROM ${schema}.schema_version`)).rows[0]?.version ?? 0;
  if (version > SCHEMA_VERSION) {
    throw new StoreCopyError('ERR_COPY_TARGET_NOT_EMPTY', `the PostgreSQL schema ${schema} has schema version ${version}, newer than this release's ${SCHEMA_VERSION}`);
  }
  const present = COPIED_TABLES.map((t) => t.name).filter((name) => names.includes(name));
  await checkEmpty(pool, schema, present, names.includes('audit_head'));
}

/** The same check inside the copy's transaction, once the tables are locked (nothing can slip in afterwards). */
export async function lockEmptyTarget(client: Client, schema: string): Promise<void> {
  const tables = [...COPIED_TABLES.map((t) => t.name), 'audit_head'];
  // EXCLUSIVE: plain reads go on, every write (a bridge started too early, another copy) waits for our COMMIT.
  // See: https://www.postgresql.org/docs/15/explicit-locking.html#LOCKING-TABLES
  await client.query(`LOCK TABLE ${tables.join(', ')} IN EXCLUSIVE MODE`);
  await checkEmpty(client, schema, COPIED_TABLES.map((t) => t.name), true);
}

async function checkEmpty(db: Queryable, schema: string, tables: readonly string[], withHead: boolean): Promise<void> {
  const filled: string[] = [];
  for (const table of tables) {
    // Our own table names, qualified: the pool's search_path names the schema only once it exists.
    if ((await db.query(`SELECT 1 FROM ${schema}.${table} LIMIT 1`)).rowCount !== 0) filled.push(table);
  }
  if (withHead) {
    const head = (await db.query<{ seq: number }>(`SELECT seq FROM ${schema}.audit_head`)).rows[0];
    if (head !== undefined && Number(head.seq) !== 0) filled.push('audit_head');
  }
  if (filled.length > 0) {
    throw new StoreCopyError('ERR_COPY_TARGET_NOT_EMPTY', `the PostgreSQL schema ${schema} already holds data (${filled.join(', ')}): the copy goes into an empty schema only; nothing was written`);
  }
}

/** One batch of rows in one INSERT: each column as one typed array, unnest()ed (values are bound, never spliced). */
export async function insertRows(client: Client, table: CopiedTable, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = table.columns.map(([c]) => c);
  const arrays = table.columns.map(([c]) => rows.map((row) => row[c] ?? null));
  const unnest = table.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  const override = table.identity === undefined ? '' : ' OVERRIDING SYSTEM VALUE';
  await client.query(`INSERT INTO ${table.name} (${columns.join(', ')})${override} SELECT * FROM unnest(${unnest})`, arrays);
}

/**
 * Identity sequences continue after the copied rows: the next rid after the highest one, the next outbox seq
 * after the highest SQLite ever gave out (`atLeast`: purged seqs are not reused there either).
 */
export async function moveSequences(client: Client, outboxSeqHigh: number): Promise<void> {
  await client.query(`SELECT setval(pg_get_serial_sequence('resources', 'rid'), COALESCE(MAX(rid), 0) + 1, false) FROM resources`);
  await client.query(
    `SELECT setval(pg_get_serial_sequence('outbox', 'seq'), GREATEST(COALESCE(MAX(seq), 0), $1::bigint) + 1, false) FROM outbox`,
    [outboxSeqHigh],
  );
}

/** The chain head row names the last copied entry (the genesis when the trail is empty). */
export async function setChainHead(client: Client): Promise<void> {
  await client.query(`UPDATE audit_head SET seq = last.seq, hash = last.hash FROM (SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1) last`);
}

export async function countRows(client: Client, table: TableName): Promise<number> {
  return Number((await client.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0]?.n ?? 0);
}
