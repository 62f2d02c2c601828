import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copySqliteToPostgres, type StoreCopyErrorCode } from '../../../src/store/copy';
import { migrate } from '../../../src/store/sqlite/migrations';
import { openDatabase } from '../../../src/store/sqlite/open-database';
import { connectTo, dropSchema, openTestPostgresStore, PG_URL, randomSchema } from '../postgres-fixtures';
import { commitOf, device, NOW, observation, tempSqliteStore, type TempSqliteStore } from '../store-fixtures';
import { ACTOR, fillStore, postgresRows, sha256File } from './copy-fixtures';

// What the copy refuses, each before writing anything: the target is left exactly as it was (a missing schema
// stays missing), the SQLite file is only read.

const schemas: string[] = [];
const sources: TempSqliteStore[] = [];
afterAll(async () => {
  for (const s of sources) await s.cleanup();
  for (const schema of schemas) await dropSchema(schema);
});

function newSchema(): string {
  const schema = randomSchema();
  schemas.push(schema);
  return schema;
}

async function filledSource(): Promise<TempSqliteStore> {
  const source = tempSqliteStore();
  sources.push(source);
  await fillStore(source.store, source.clock);
  return source;
}

async function schemaExists(schema: string): Promise<boolean> {
  const client = await connectTo();
  try {
    return (await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1;
  } finally {
    await client.end();
  }
}

const copy = (from: string, schema: string, now = NOW) => copySqliteToPostgres({ from, url: PG_URL, schema, actor: ACTOR, now: () => now });

async function expectRefused(promise: Promise<unknown>, code: StoreCopyErrorCode, message: RegExp): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toMatchObject({ name: 'StoreCopyError', code });
  expect((error as Error).message).toMatch(message);
}

describe('store copy refuses, writing nothing', () => {
  it('a target schema that already holds data (a device registered there), naming the tables', async () => {
    const source = await filledSource();
    const schema = newSchema();
    const existing = await openTestPostgresStore(schema);
    await existing.addDevice({ id: 'already-here', publicJwk: { kty: 'EC' } });
    await existing.close();
    const before = await postgresRows(schema);
    await expectRefused(copy(source.file, schema), 'ERR_COPY_TARGET_NOT_EMPTY', new RegExp(`schema ${schema} already holds data \\(devices\\)`));
    expect(await postgresRows(schema)).toEqual(before);
  });

  it('a target whose only data is its audit trail', async () => {
    const source = await filledSource();
    const schema = newSchema();
    const existing = await openTestPostgresStore(schema);
    await existing.appendAudit((await source.store.listAudit())[0]!.event);
    await existing.close();
    const before = await postgresRows(schema);
    await expectRefused(copy(source.file, schema), 'ERR_COPY_TARGET_NOT_EMPTY', /already holds data \(audit, audit_head\)/);
    expect(await postgresRows(schema)).toEqual(before);
  });

  it('a target schema holding tables iomt-bridge did not make', async () => {
    const source = await filledSource();
    const schema = newSchema();
    const client = await connectTo();
    try {
      await client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.orders (id int)`);
    } finally {
      await client.end();
    }
    await expectRefused(copy(source.file, schema), 'ERR_COPY_TARGET_NOT_EMPTY', /holds tables iomt-bridge did not create \(orders\)/);
  });

  it('a SQLite store of an earlier schema version, telling the operator to start the bridge on it once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iomt-copy-'));
    try {
      const file = join(dir, 'old.db');
      const db = openDatabase(file);
      migrate(db, 2);
      db.close();
      const hash = sha256File(file);
      const schema = newSchema();
      await expectRefused(copy(file, schema), 'ERR_COPY_SOURCE_VERSION', /has schema version 2, not the current 4: start the bridge once on it .* so it migrates/);
      expect(await schemaExists(schema)).toBe(false);
      expect(sha256File(file)).toBe(hash);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a SQLite file that does not exist (and does not create it)', async () => {
    const file = join(tmpdir(), `iomt-copy-missing-${Date.now()}.db`);
    const schema = newSchema();
    await expectRefused(copy(file, schema), 'ERR_COPY_SOURCE_MISSING', /cannot open the SQLite store .* read-only/);
    expect(existsSync(file)).toBe(false);
    expect(await schemaExists(schema)).toBe(false);
  });

  it('a SQLite audit chain that does not verify (an entry edited behind the store), naming the entry', async () => {
    const source = await filledSource();
    const tamper = openDatabase(source.file);
    tamper.prepare(`UPDATE audit SET event = replace(event, '"outcome":"0"', '"outcome":"4"') WHERE seq = 3`).run();
    tamper.close();
    const schema = newSchema();
    await expectRefused(copy(source.file, schema), 'ERR_COPY_SOURCE_CHAIN', /does not verify at entry 3 .*nothing was copied/);
    expect(await schemaExists(schema)).toBe(false);
  });

  it('an unreachable PostgreSQL, without repeating the URL or its password', async () => {
    const source = await filledSource();
    const error = await copySqliteToPostgres({ from: source.file, url: 'postgres://iomt:s3cret-pw@127.0.0.1:1/test', schema: newSchema(), actor: ACTOR })
      .catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: 'ERR_COPY_TARGET_UNREACHABLE', message: expect.stringMatching(/could not be reached: .*ECONNREFUSED/) });
    expect((error as Error).message).not.toContain('s3cret-pw');
  });
});

describe('store copy, edge cases', () => {
  it('rolls everything back when a row fails half-way (an outbox row naming no stored version): empty schema, copy again later', async () => {
    const source = await filledSource();
    const broken = openDatabase(source.file);
    broken.pragma('foreign_keys = OFF');
    broken.prepare(`INSERT INTO outbox (resource_type, resource_id, version_id, device_id, created_at) VALUES ('Observation', 'gone', '1', 'd1', '2024-03-01T12:00:00.000Z')`).run();
    broken.close();
    const schema = newSchema();
    const error = await copy(source.file, schema).catch((e: unknown) => e as { code?: string });
    expect(error).toMatchObject({ code: '23503' }); // PostgreSQL's foreign_key_violation, on the outbox batch
    const rows = await postgresRows(schema);
    expect(Object.values(rows).flat()).toEqual([{ seq: 0, hash: '0'.repeat(64) }]); // nothing but the genesis head
    const fixed = openDatabase(source.file);
    fixed.prepare(`DELETE FROM outbox WHERE resource_id = 'gone'`).run();
    fixed.close();
    expect((await copy(source.file, schema)).counts.outbox).toBe(12);
  });

  it('continues outbox seqs after the highest SQLite ever gave out, even when those entries were purged', async () => {
    const source = tempSqliteStore();
    sources.push(source);
    const { store } = source;
    await store.addDevice({ id: 'a', publicJwk: { kty: 'EC' } });
    await store.addDevice({ id: 'b', publicJwk: { kty: 'EC' } });
    await store.commitIngest(commitOf([device('a')], 'ja', 'a'));
    await store.commitIngest(commitOf([device('b'), observation({ id: 'ob', device: 'Device/b' })], 'jb', 'b'));
    // Device a is never claimed (no head due); b's entries (seqs 2, 3) are delivered and purged.
    await store.recordDelivery({ delivered: [{ seq: 2 }, { seq: 3 }], now: NOW.getTime() });
    const purgeAudit = (await store.listAudit())[0]!.event;
    expect(await store.purgeOutbox({ status: 'delivered', audit: purgeAudit })).toBe(2);
    const schema = newSchema();
    const report = await copy(source.file, schema);
    expect(report.counts.outbox).toBe(1);
    const target = await openTestPostgresStore(schema);
    try {
      await target.commitIngest(commitOf([observation({ id: 'oa', device: 'Device/a' })], 'ja2', 'a'));
      expect((await target.listOutbox({ limit: 10 })).map((e) => e.seq)).toEqual([1, 4]);
    } finally {
      await target.close();
    }
  });

  it('copies the used jtis the store still keeps (token expiry plus the grace hour), not the older ones', async () => {
    const source = await filledSource();
    const expiry = NOW.getTime() + 300_000; // commitOf: tokens expire 5 minutes after NOW
    const schema = newSchema();
    const report = await copy(source.file, schema, new Date(expiry + 3600_000 + 1000));
    expect(report.counts.used_jti).toBe(0);
    const kept = await copy(source.file, newSchema(), new Date(expiry + 3600_000));
    expect(kept.counts.used_jti).toBe(7);
  });
});
