import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../../src/store';
import { SCHEMA_VERSION } from '../../../src/store/sqlite/migrations';
import { tempSqliteStore, type TempSqliteStore } from '../store-fixtures';

describe('openSqliteStore', () => {
  let t: TempSqliteStore;
  beforeEach(() => {
    t = tempSqliteStore();
  });
  afterEach(() => t.cleanup());

  it('creates the folder 0700 and the file 0600', () => {
    expect(statSync(join(t.dir, 'data')).mode & 0o777).toBe(0o700);
    expect(statSync(t.file).mode & 0o777).toBe(0o600);
  });

  it('leaves the file in WAL mode at the current schema version', () => {
    // journal_mode=WAL and user_version persist in the file; per-connection pragmas are tested in open-database.test.ts.
    const other = new Database(t.file, { readonly: true });
    try {
      expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(other.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(SCHEMA_VERSION).toBe(4);
    } finally {
      other.close();
    }
  });

  it('reopens an existing file without re-running migrations', async () => {
    await t.store.addDevice({ id: 'd1', publicJwk: { kty: 'EC' } });
    await t.store.close();
    const again = openSqliteStore({ file: t.file });
    try {
      expect((await again.getDevice('d1'))?.id).toBe('d1');
    } finally {
      await again.close();
    }
  });

  it('refuses a database written by a newer schema', () => {
    const file = join(t.dir, 'newer.db');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openSqliteStore({ file })).toThrow(/newer than this release/);
  });

  it('refuses a file that is not a database', () => {
    const file = join(t.dir, 'junk.db');
    writeFileSync(file, 'this is not sqlite, just some text long enough to be looked at '.repeat(20));
    expect(() => openSqliteStore({ file })).toThrow();
  });

  it('answers ping while open, false after close; close twice is fine', async () => {
    expect(await t.store.ping()).toBe(true);
    await t.store.close();
    expect(await t.store.ping()).toBe(false);
    await expect(t.store.close()).resolves.toBeUndefined();
  });

  it('works in memory', async () => {
    const mem = openSqliteStore({ file: ':memory:' });
    expect(await mem.counts()).toEqual({ resources: 0, outbox: 0, audit: 0, jti: 0 });
    await mem.close();
  });
});
