import { openPostgresStore } from '../../../src/store';
import { connectPool } from '../../../src/store/postgres/connect-pool';
import { migrate, SCHEMA_VERSION } from '../../../src/store/postgres/migrations';
import { connectTo, dropSchema, openTestPostgresStore, PG_URL, randomSchema } from '../postgres-fixtures';

describe('PostgreSQL migrations', () => {
  let schema: string;
  beforeEach(() => {
    schema = randomSchema();
  });
  afterEach(() => dropSchema(schema));

  async function versionRows(): Promise<Array<{ version: number }>> {
    const client = await connectTo(schema);
    try {
      return (await client.query<{ version: number }>('SELECT version FROM schema_version')).rows;
    } finally {
      await client.end();
    }
  }

  it('creates the schema at the current version, and a second open applies nothing', async () => {
    const first = await openTestPostgresStore(schema);
    await first.addDevice({ id: 'd1', publicJwk: { kty: 'EC' } });
    await first.close();
    const again = await openTestPostgresStore(schema);
    expect((await again.getDevice('d1'))?.id).toBe('d1');
    await again.close();
    expect(await versionRows()).toEqual([{ version: SCHEMA_VERSION }]);
    expect(SCHEMA_VERSION).toBe(2);
  });

  it('upgrades a version-1 schema: registered devices are kept, certificate-only ones can then be added', async () => {
    const pool = connectPool({ url: PG_URL, schema, poolSize: 1 });
    try {
      await migrate(pool, schema, 1);
      await pool.query(`INSERT INTO devices (id, public_jwk, patient, status, created_at, revoked_at) VALUES
        ('d1', '{"kty":"EC","crv":"P-256","x":"x1","y":"y1"}', 'Patient/p1', 'active', '2024-03-01T12:00:00.000Z', NULL),
        ('d2', '{"kty":"EC","crv":"P-256","x":"x2","y":"y2"}', NULL, 'revoked', '2024-03-01T12:00:00.000Z', '2024-03-01T12:00:00.000Z')`);
    } finally {
      await pool.end();
    }
    const store = await openTestPostgresStore(schema);
    try {
      expect(await store.listDevices()).toEqual([
        { id: 'd1', publicJwk: { kty: 'EC', crv: 'P-256', x: 'x1', y: 'y1' }, patient: 'Patient/p1', status: 'active', createdAt: '2024-03-01T12:00:00.000Z' },
        { id: 'd2', publicJwk: { kty: 'EC', crv: 'P-256', x: 'x2', y: 'y2' }, status: 'revoked', createdAt: '2024-03-01T12:00:00.000Z', revokedAt: '2024-03-01T12:00:00.000Z' },
      ]);
      await store.addDevice({ id: 'd3', certThumbprint: 'T'.repeat(43) });
      expect((await store.getDeviceByThumbprint('T'.repeat(43)))?.id).toBe('d3');
    } finally {
      await store.close();
    }
    expect(await versionRows()).toEqual([{ version: 2 }]);
    const client = await connectTo(schema);
    try {
      await expect(client.query("INSERT INTO devices (id, status, created_at) VALUES ('d4', 'active', 'x')")).rejects.toThrow(/devices_credential/);
    } finally {
      await client.end();
    }
  });

  it('lets bridges starting together migrate one new schema: the advisory lock queues them, one applies', async () => {
    const stores = await Promise.all([1, 2, 3, 4].map(() => openTestPostgresStore(schema)));
    try {
      expect(await versionRows()).toEqual([{ version: SCHEMA_VERSION }]);
      await stores[0]?.addDevice({ id: 'd1', publicJwk: { kty: 'EC' } });
      expect((await stores[3]?.listDevices())?.map((d) => d.id)).toEqual(['d1']);
    } finally {
      for (const store of stores) await store.close();
    }
  });

  it('works in a schema a DBA created beforehand', async () => {
    const client = await connectTo();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
    const store = await openTestPostgresStore(schema);
    expect(await store.counts()).toEqual({ resources: 0, outbox: 0, audit: 0, jti: 0 });
    await store.close();
  });

  it('refuses a schema written by a newer release, and leaves it as it was', async () => {
    const pool = connectPool({ url: PG_URL, schema, poolSize: 1 });
    try {
      await migrate(pool, schema);
      await pool.query('UPDATE schema_version SET version = 99');
      await expect(migrate(pool, schema)).rejects.toThrow(/newer than this release/);
      await expect(openTestPostgresStore(schema)).rejects.toThrow(/schema version 99 is newer/);
    } finally {
      await pool.end();
    }
    expect(await versionRows()).toEqual([{ version: 99 }]);
  });

  it.each(['Public', 'iomt; DROP TABLE x', 'a-b', '', '1abc'])('refuses the schema name %j before connecting', async (name) => {
    await expect(openPostgresStore({ url: PG_URL, schema: name })).rejects.toThrow(/schema name must match/);
  });

  it('answers ping while open, false after close; close twice is fine', async () => {
    const store = await openTestPostgresStore(schema);
    expect(await store.ping()).toBe(true);
    await store.close();
    expect(await store.ping()).toBe(false);
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('fails to open, naming the cause, when the server cannot be reached', async () => {
    await expect(openPostgresStore({ url: 'postgres://postgres@127.0.0.1:1/test', schema })).rejects.toThrow(/ECONNREFUSED/);
  });
});
