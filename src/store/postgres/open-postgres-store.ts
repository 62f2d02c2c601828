import type { Resource } from 'fhir/r4';
import type { Store } from '../port';
import { outboxSignal } from '../shared/outbox-record';
import { listAudit } from './audit-chain';
import { ingestCommitter } from './commit-ingest';
import { connectPool, type Pool } from './connect-pool';
import { deviceRegistry } from './device-registry';
import { deviceLinker } from './link-device';
import { migrate } from './migrations';
import { outboxStore } from './outbox-admin';
import { searchDevices, searchObservations } from './search';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (any libpq-style URL node-postgres reads). */
  url: string;
  /** Schema holding the tables, created (and migrated) on open when missing. Default `iomt`. */
  schema?: string;
  /** Clock for `lastUpdated`, registry times and jti pruning; real time by default. */
  now?: () => Date;
  /** Most connections this store opens (default 10). */
  poolSize?: number;
  /** Seconds a used jti is kept after the token's expiry (default 3600); must exceed the JWT clock leeway. */
  jtiGraceSeconds?: number;
}

export const DEFAULT_SCHEMA = 'iomt';
export const DEFAULT_POOL_SIZE = 10;

/**
 * The production store: PostgreSQL through a node-postgres pool, schema migrated on open (migrations.ts).
 * Several bridges may share one database and schema: commits, the audit chain and outbox claims are safe
 * under concurrency (see commit-ingest.ts, audit-chain.ts, outbox-queue.ts, docs/storage.md).
 *
 * @example
 * const store = await openPostgresStore({ url: 'postgres://iomt@db.internal/iomt' });
 * await store.addDevice({ id: 'bp-01', publicJwk: jwk, patient: 'Patient/1' });
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const now = options.now ?? (() => new Date());
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const pool = connectPool({ url: options.url, schema, poolSize: options.poolSize ?? DEFAULT_POOL_SIZE });
  try {
    await migrate(pool, schema);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const registry = deviceRegistry(pool, now);
  const commit = ingestCommitter(pool, { now, jtiGraceSeconds: options.jtiGraceSeconds ?? 3600 });
  const link = deviceLinker(pool, now);
  // Wakes this process's delivery worker after a commit that queued outbox entries (it polls otherwise).
  const outboxWritten = outboxSignal();
  const notified = <R>(result: R, queued: boolean): R => {
    if (queued) outboxWritten.notify();
    return result;
  };
  let closed = false;
  return {
    addDevice: (device) => registry.add(device),
    getDevice: (id) => registry.get(id),
    getDeviceByThumbprint: (thumbprint) => registry.getByThumbprint(thumbprint),
    listDevices: () => registry.list(),
    revokeDevice: (id) => registry.revoke(id),
    linkDevice: async (id, patient, event) => {
      const linked = await link(id, patient, event);
      return notified(linked, linked.created);
    },
    hasJti: async (deviceId, jti) => (await pool.query('SELECT 1 FROM used_jti WHERE device_id = $1 AND jti = $2', [deviceId, jti])).rowCount !== 0,
    commitIngest: async (c) => {
      const result = await commit.commit(c);
      return notified(result, result.written.some((w) => w.created));
    },
    // Stand-alone entries (API access, refusals) join the ingest group commit: one head lock for the burst.
    appendAudit: (event) => commit.audit(event),
    listAudit: (o) => listAudit(pool, o),
    read: async (type, id) => {
      const row = (await pool.query<{ content: string }>('SELECT content FROM resources WHERE type = $1 AND id = $2', [type, id])).rows[0];
      return row === undefined ? undefined : (JSON.parse(row.content) as Resource);
    },
    searchObservations: (q) => searchObservations(pool, q, now().getTime()),
    searchDevices: (q) => searchDevices(pool, q),
    counts: () => counts(pool),
    ping: async () => !closed && (await ping(pool)),
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
    ...outboxStore(pool, now, outboxWritten),
  };
}

async function counts(pool: Pool): Promise<Awaited<ReturnType<Store['counts']>>> {
  const row = (await pool.query<{ resources: number; outbox: number; audit: number; jti: number }>(
    `SELECT (SELECT COUNT(*) FROM resources)::int AS resources, (SELECT COUNT(*) FROM outbox)::int AS outbox,
            (SELECT COUNT(*) FROM audit)::int AS audit, (SELECT COUNT(*) FROM used_jti)::int AS jti`,
  )).rows[0];
  return row ?? { resources: 0, outbox: 0, audit: 0, jti: 0 };
}

async function ping(pool: Pool): Promise<boolean> {
  try {
    return (await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one === 1;
  } catch {
    return false;
  }
}
