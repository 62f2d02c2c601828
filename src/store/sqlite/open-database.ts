import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** Milliseconds a writer waits for another process's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Open (creating if needed) the database file with owner-only permissions, then set the pragmas the store
 * relies on. `:memory:` is accepted for throwaway stores (no WAL there).
 *
 * - `journal_mode=WAL`: readers (API searches) do not block the ingest writer. See: https://sqlite.org/wal.html
 * - `synchronous=FULL`: in WAL mode NORMAL may lose the last commits on power loss; we acknowledge a device
 *   only after the commit, so the commit must be durable. See: https://sqlite.org/pragma.html#pragma_synchronous
 * - `foreign_keys=ON`: off by default in SQLite, per connection.
 */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') createPrivateFile(file);
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Parent folder 0700 and file 0600 when we create them: the file holds health data and device keys.
 * SQLite gives its -wal and -shm files the main file's permissions. An existing file is left as the operator set it.
 */
function createPrivateFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  if (existsSync(file)) return;
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600); // the process umask may have narrowed the mode; make it exact
}
