import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../sqlite/migrations';
import type { CopiedTable, TableName } from './copied-tables';
import { StoreCopyError } from './store-copy-error';

export type Row = Record<string, unknown>;

/** A row filter of our own SQL text with its bound values (only the jti table has one). */
export interface RowFilter {
  sql: string;
  params: unknown[];
}

/** The SQLite store being copied, opened read-only, every read inside ONE read transaction (one snapshot). */
export interface SqliteSource {
  count(table: TableName, filter?: RowFilter): number;
  /** Up to `limit` rows after the key `after` (none: from the start), in key order. */
  page(table: CopiedTable, after: unknown[] | undefined, limit: number, filter?: RowFilter): Row[];
  /** The highest outbox seq SQLite ever gave out (AUTOINCREMENT: purged seqs are never reused), 0 if none. */
  outboxSeqHigh(): number;
  close(): void;
}

/**
 * Opens `file` read-only (`fileMustExist`: a wrong path is refused, not created) and starts a read transaction:
 * in WAL mode the counts, the chain check and the copy then all see the same committed state, even if a bridge
 * were still writing (it should be stopped: what it writes afterwards is not copied). The schema must be this
 * release's (PRAGMA user_version): an older file is migrated by starting the bridge on it, never by the copy.
 * See: https://sqlite.org/lang_transaction.html, https://sqlite.org/pragma.html#pragma_user_version
 */
export function openSqliteSource(file: string): SqliteSource {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new StoreCopyError('ERR_COPY_SOURCE_MISSING', `cannot open the SQLite store ${file} read-only: ${(error as Error).message}`, { cause: error });
  }
  try {
    checkVersion(db, file);
    db.exec('BEGIN');
  } catch (error) {
    db.close();
    throw error;
  }
  const pages = new Map<string, Database.Statement>();
  const pageStatement = (table: CopiedTable, after: boolean, filter?: RowFilter): Database.Statement => {
    const name = `${table.name}:${after}:${filter?.sql ?? ''}`;
    let statement = pages.get(name);
    if (statement === undefined) {
      const keys = table.key.join(', ');
      const where = [filter?.sql, after ? `(${keys}) > (${table.key.map(() => '?').join(', ')})` : undefined].filter((w) => w !== undefined);
      // Table and column names are our own literals (copied-tables.ts); values are bound.
      statement = db.prepare(`SELECT ${table.columns.map(([c]) => c).join(', ')} FROM ${table.name}
        ${where.length > 0 ? `WHERE ${where.map((w) => `(${w})`).join(' AND ')}` : ''} ORDER BY ${keys} LIMIT ?`);
      pages.set(name, statement);
    }
    return statement;
  };
  return {
    count: (table, filter) => db.prepare(`SELECT COUNT(*) FROM ${table}${filter ? ` WHERE ${filter.sql}` : ''}`).pluck().get(...(filter?.params ?? [])) as number,
    page: (table, after, limit, filter) => pageStatement(table, after !== undefined, filter).all(...(filter?.params ?? []), ...(after ?? []), limit) as Row[],
    outboxSeqHigh: () => (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").pluck().get() as number | undefined) ?? 0,
    close: () => {
      if (db.inTransaction) db.exec('COMMIT');
      db.close();
    },
  };
}

function checkVersion(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === SCHEMA_VERSION) return;
  const hasTables = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'").get() !== undefined;
  const reason = version === 0 && !hasTables
    ? 'is not an iomt-bridge store (no schema)'
    : version > SCHEMA_VERSION
      ? `has schema version ${version}, newer than this release's ${SCHEMA_VERSION}: copy it with the release that wrote it`
      : `has schema version ${version}, not the current ${SCHEMA_VERSION}: start the bridge once on it (IOMT_SQLITE_FILE=${file} iomt-bridge serve, then stop it) so it migrates, then copy again`;
  throw new StoreCopyError('ERR_COPY_SOURCE_VERSION', `the SQLite store ${file} ${reason}`);
}
