import { connectPool, type Pool } from '../../../src/store/postgres/connect-pool';
import { MAX_ATTEMPTS, runTransaction } from '../../../src/store/postgres/run-transaction';
import { connectTo, dropSchema, PG_URL, randomSchema } from '../postgres-fixtures';

describe('runTransaction (PostgreSQL)', () => {
  let schema: string;
  let pool: Pool;
  beforeEach(async () => {
    schema = randomSchema();
    const client = await connectTo();
    await client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (id int PRIMARY KEY, n int NOT NULL); INSERT INTO ${schema}.t VALUES (1, 0), (2, 0)`);
    await client.end();
    pool = connectPool({ url: PG_URL, schema, poolSize: 4 });
  });
  afterEach(async () => {
    await pool.end();
    await dropSchema(schema);
  });
  const values = async () => (await pool.query<{ n: number }>('SELECT n FROM t ORDER BY id')).rows.map((r) => r.n);

  it('runs a deadlocked transaction again: both writers succeed, each update applied once', async () => {
    const attempts = { a: 0, b: 0 };
    let release: () => void = () => undefined;
    const bothLocked = new Promise<void>((resolve) => (release = resolve));
    let locked = 0;
    const writer = (name: 'a' | 'b', first: number, second: number) => runTransaction(pool, async (client) => {
      attempts[name] += 1;
      // Superuser-only setting, local to the transaction: the server finds the deadlock after 50 ms, not 1 s.
      await client.query("SET LOCAL deadlock_timeout = '50ms'");
      await client.query('UPDATE t SET n = n + 1 WHERE id = $1', [first]);
      if (attempts[name] === 1) {
        if (++locked === 2) release();
        await bothLocked; // each holds one row and now asks for the other's: a deadlock
      }
      await client.query('UPDATE t SET n = n + 1 WHERE id = $1', [second]);
    });
    await Promise.all([writer('a', 1, 2), writer('b', 2, 1)]);
    expect(attempts.a + attempts.b).toBe(3); // exactly one was chosen as the deadlock victim and ran again
    expect(await values()).toEqual([2, 2]);
  });

  it('runs again after a serialization failure, keeping nothing of the failed attempt', async () => {
    let attempt = 0;
    const result = await runTransaction(pool, async (client) => {
      attempt += 1;
      await client.query('UPDATE t SET n = n + 10 WHERE id = 1');
      if (attempt === 1) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      return 'done';
    });
    expect([result, attempt]).toEqual(['done', 2]);
    expect(await values()).toEqual([10, 0]);
  });

  it('gives up after MAX_ATTEMPTS, and does not retry other errors', async () => {
    let serial = 0;
    await expect(runTransaction(pool, async () => {
      serial += 1;
      throw Object.assign(new Error('serialization'), { code: '40001' });
    })).rejects.toMatchObject({ code: '40001' });
    expect(serial).toBe(MAX_ATTEMPTS);
    let other = 0;
    await expect(runTransaction(pool, async (client) => {
      other += 1;
      await client.query('INSERT INTO t VALUES (1, 0)');
    })).rejects.toMatchObject({ code: '23505' });
    expect(other).toBe(1);
    expect(await values()).toEqual([0, 0]);
  });
});
