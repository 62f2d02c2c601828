import type { Resource } from 'fhir/r4';
import type { Store } from '../port';
import { auditLog } from './audit-log';
import { ingestCommitter } from './commit-ingest';
import { deviceLinker } from './link-device';
import { deviceRegistry } from './device-registry';
import { groupCommitter } from './group-commit';
import { migrate } from './migrations';
import { openDatabase, type Db } from './open-database';
import { outboxSignal } from '../shared/outbox-record';
import { outboxStore } from './outbox-admin';
import { searchDevices } from './search-devices';
import { searchObservations } from './search-observations';
import { startThreadedWriter } from './threaded-writer';

export interface SqliteStoreOptions {
  /** Database file; its folder is created (0700) and the file too (0600). `:memory:` for a throwaway store. */
  file: string;
  /** Clock for `lastUpdated`, registry times and jti pruning; real time by default. */
  now?: () => Date;
  /** Seconds a used jti is kept after the token's expiry (default 3600); must exceed the JWT clock leeway. */
  jtiGraceSeconds?: number;
  /**
   * Run the hot writes (ingest commits, audit entries, outbox claims and outcomes) on a writer thread with its
   * own connection, so their fsyncs do not stall the event loop (see writer-thread.ts). Ignored for `:memory:`,
   * which one connection alone can see. Reads stay on this thread (WAL: they see every committed write).
   */
  writerThread?: boolean;
}

/**
 * The embedded default store: one SQLite file (WAL, synchronous=FULL), schema migrated on open.
 * Methods are synchronous underneath and return settled promises; a SQLite error rejects the promise.
 *
 * @example
 * const store = openSqliteStore({ file: 'data/iomt-bridge.db' });
 * await store.addDevice({ id: 'bp-01', publicJwk: jwk, patient: 'Patient/1' });
 */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const now = options.now ?? (() => new Date());
  const db = openDatabase(options.file);
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const registry = deviceRegistry(db, now);
  const audit = auditLog(db);
  const jtiGraceSeconds = options.jtiGraceSeconds ?? 3600;
  const commit = ingestCommitter(db, audit, { now, jtiGraceSeconds });
  const link = deviceLinker(db, audit, now);
  const hasJti = db.prepare('SELECT 1 FROM used_jti WHERE device_id = ? AND jti = ?').pluck();
  const read = db.prepare('SELECT content FROM resources WHERE type = ? AND id = ?').pluck();
  // Ingest commits and stand-alone audit entries share one group committer: one fsync per burst, not per request.
  const group = groupCommitter(db);
  const appendAudit = db.transaction((event: Parameters<Store['appendAudit']>[0]) => void audit.append(event));
  // Wakes the delivery worker after a commit that queued outbox entries (it polls otherwise).
  const outboxWritten = outboxSignal();
  const notified = <R>(result: R, queued: boolean): R => {
    if (queued) outboxWritten.notify();
    return result;
  };

  const writer = options.writerThread && options.file !== ':memory:' ? startThreadedWriter({ file: options.file, jtiGraceSeconds }) : undefined;
  const outbox = outboxStore(db, audit, now, outboxWritten);

  // `async` turns a synchronous throw into a rejected promise, as callers of a networked store would expect.
  const store: Store = {
    addDevice: async (device) => registry.add(device),
    getDevice: async (id) => registry.get(id),
    getDeviceByThumbprint: async (thumbprint) => registry.getByThumbprint(thumbprint),
    listDevices: async () => registry.list(),
    revokeDevice: async (id) => registry.revoke(id),
    linkDevice: async (id, patient, event) => {
      const linked = link(id, patient, event);
      return notified(linked, linked.created);
    },
    hasJti: async (deviceId, jti) => hasJti.get(deviceId, jti) !== undefined,
    commitIngest: (c) => group(() => commit(c)).then((r) => notified(r, r.written.some((w) => w.created))),
    appendAudit: (event) => group(() => appendAudit(event)),
    listAudit: async (o) => audit.list(o),
    read: async (type, id) => {
      const content = read.get(type, id) as string | undefined;
      return content === undefined ? undefined : (JSON.parse(content) as Resource);
    },
    searchObservations: async (q) => searchObservations(db, q, now().getTime()),
    searchDevices: async (q) => searchDevices(db, q),
    counts: async () => counts(db),
    ping: async () => ping(db),
    close: async () => {
      await writer?.close();
      if (db.open) db.close();
    },
    ...outbox,
  };
  if (writer === undefined) return store;
  return {
    ...store,
    commitIngest: (c) => writer.commitIngest(c, now().getTime()).then((r) => notified(r, r.written.some((w) => w.created))),
    appendAudit: (event) => writer.appendAudit(event),
    claimOutbox: (o) => writer.claimOutbox(o),
    recordDelivery: (o) => writer.recordDelivery(o),
  };
}

function counts(db: Db): Awaited<ReturnType<Store['counts']>> {
  // Table names are our own literals (identifiers cannot be bound parameters).
  const count = (table: 'resources' | 'outbox' | 'audit' | 'used_jti'): number =>
    db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  return { resources: count('resources'), outbox: count('outbox'), audit: count('audit'), jti: count('used_jti') };
}

function ping(db: Db): boolean {
  try {
    return db.open && db.prepare('SELECT 1').pluck().get() === 1;
  } catch {
    return false;
  }
}
