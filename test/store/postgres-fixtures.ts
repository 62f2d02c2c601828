import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore, type PostgresStoreOptions, type Store } from '../../src/store';
import type { TempStore } from './store-fixtures';

/**
 * The PostgreSQL the tests use: a real server (127.0.0.1:5432, trust auth, database `test`; .ci/run starts
 * it). There is no skip: when it cannot be reached, every PostgreSQL test fails, naming the connection error.
 */
export const PG_URL = process.env.IOMT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Frozen clock shared with store-fixtures.ts (not imported from there: that module imports this one). */
const NOW = new Date('2024-03-01T12:00:00.000Z');

/** A schema name no other test file, Jest worker or run uses: each test gets its own tables. */
export function randomSchema(): string {
  return `iomt_test_${randomBytes(6).toString('hex')}`;
}

/** One plain connection (not the store's pool) working in `schema`: a second process's view. */
export async function connectTo(schema?: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_URL, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  await client.connect();
  return client;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = await connectTo();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** openPostgresStore on the test server; the caller drops `schema`. */
export function openTestPostgresStore(schema: string, options: Partial<PostgresStoreOptions> = {}): Promise<Store> {
  return openPostgresStore({ url: PG_URL, schema, poolSize: 4, now: () => NOW, ...options });
}

export async function tempPostgresStore(): Promise<TempStore> {
  const schema = randomSchema();
  const clock = { now: NOW };
  const store = await openTestPostgresStore(schema, { now: () => clock.now });
  const others: Store[] = [];
  const onSide = async <R>(use: (client: pg.Client) => Promise<R>): Promise<R> => {
    const client = await connectTo(schema);
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  };
  return {
    kind: 'postgres',
    store,
    clock,
    rows: <T>(sql: string) => onSide(async (c) => (await c.query(sql)).rows as T[]),
    run: (sql) => onSide(async (c) => (await c.query(sql)).rowCount ?? 0),
    openAnother: async () => {
      const other = await openTestPostgresStore(schema);
      others.push(other);
      return other;
    },
    cleanup: async () => {
      for (const s of [store, ...others]) await s.close();
      await dropSchema(schema);
    },
  };
}
