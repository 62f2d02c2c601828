import pg from 'pg';

export type Pool = pg.Pool;
export type Client = pg.PoolClient;

/** Schema names we accept: an unquoted PostgreSQL identifier, so it can stand in `search_path` and DDL as is. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** int8 (`bigint`, also COUNT(*)) as a JS number: seqs, rids and epoch-ms times stay far below 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Longest wait for a new connection (start-up, readiness probe, a commit when the pool must open one). */
const CONNECT_TIMEOUT_MS = 10_000;

export interface PoolOptions {
  url: string;
  schema: string;
  poolSize: number;
}

/**
 * A pool whose every connection works in `schema`: `search_path` is a start-up parameter of the connection
 * (`options=-c search_path=…`), so it holds before the first statement and the SQL never names the schema.
 * Type parsing is per pool (not node-postgres's global registry), so another pg user in the process is not
 * affected. `application_name` shows the bridge in pg_stat_activity.
 * See: https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNECT-OPTIONS
 */
export function connectPool(options: PoolOptions): Pool {
  if (!SCHEMA_NAME.test(options.schema)) throw new Error(`PostgreSQL schema name must match ${String(SCHEMA_NAME)}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    types,
    options: `-c search_path=${options.schema}`,
    application_name: 'iomt-bridge',
    // Without it node-postgres waits for a connection forever: an unreachable database would hang start-up and
    // the readiness probe instead of failing them.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // An idle connection that the server drops (restart, idle timeout) emits 'error' on the pool; without a
  // listener that would end the process. The pool discards the connection; the next query opens a new one.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * A named (prepared) statement: node-postgres parses and plans it once per connection and then only binds
 * values, which matters on the ingest path (a dozen statements per commit). Only for fixed SQL text.
 * See: https://node-postgres.com/features/queries#prepared-statements
 */
export function named(name: string, text: string, values: unknown[]): { name: string; text: string; values: unknown[] } {
  return { name: `iomt_${name}`, text, values };
}
