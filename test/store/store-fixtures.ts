import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditEvent, Device, Observation } from 'fhir/r4';
import { buildIngestAuditEvent } from '../../src/audit';
import { openSqliteStore, type IngestCommit, type Store } from '../../src/store';
import { tempPostgresStore } from './postgres-fixtures';

/** Frozen clock: 2024-03-01T12:00:00Z unless a test moves it. */
export const NOW = new Date('2024-03-01T12:00:00.000Z');
export const LOINC = 'http://loinc.org';
export const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

export interface TempSqliteStore {
  store: Store;
  dir: string;
  file: string;
  clock: { now: Date };
  cleanup: () => Promise<void>;
}

/** A real SQLite file in a fresh temp dir (the store creates the `data/` folder itself). */
export function tempSqliteStore(options: { writerThread?: boolean } = {}): TempSqliteStore {
  const dir = mkdtempSync(join(tmpdir(), 'iomt-store-'));
  const file = join(dir, 'data', 'bridge.db');
  const clock = { now: NOW };
  const store = openSqliteStore({ file, now: () => clock.now, writerThread: options.writerThread ?? false });
  return {
    store,
    dir,
    file,
    clock,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type StoreKind = 'sqlite' | 'sqlite-writer-thread' | 'postgres';

/**
 * The adapter matrix the behavioural store suites run on: SQLite with writes in the calling thread, SQLite
 * with writes on the writer thread (serve's), and PostgreSQL (a real server: see postgres-fixtures.ts).
 */
export const STORE_KINDS = [
  { kind: 'sqlite', adapter: 'SQLite, writes in-thread' },
  { kind: 'sqlite-writer-thread', adapter: 'SQLite, writes on the writer thread' },
  { kind: 'postgres', adapter: 'PostgreSQL' },
] as const satisfies ReadonlyArray<{ kind: StoreKind; adapter: string }>;

/** One of each engine, for suites whose writes take no thread-specific path (reads, registry, link). */
export const STORE_ENGINES = STORE_KINDS.filter((k) => k.kind !== 'sqlite-writer-thread');

/** A throwaway store of any kind, with what a test needs to look behind the port. */
export interface TempStore {
  kind: StoreKind;
  store: Store;
  clock: { now: Date };
  /** Rows as a second connection sees them: proves what was committed. */
  rows: <T>(sql: string) => Promise<T[]>;
  /** Runs one statement on a second connection (a tamperer's); returns the rows it changed. */
  run: (sql: string) => Promise<number>;
  /** A second store on the same database (another process's view). */
  openAnother: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

/** A fresh store of `kind`: a new SQLite file, or a new PostgreSQL schema (dropped by cleanup). */
export async function tempStore(kind: StoreKind = 'sqlite'): Promise<TempStore> {
  if (kind === 'postgres') return tempPostgresStore();
  const t = tempSqliteStore({ writerThread: kind === 'sqlite-writer-thread' });
  const others: Store[] = [];
  const connect = <R>(readonly: boolean, use: (db: Database.Database) => R): R => {
    const db = new Database(t.file, { readonly });
    try {
      return use(db);
    } finally {
      db.close();
    }
  };
  return {
    kind,
    store: t.store,
    clock: t.clock,
    rows: async <T>(sql: string) => connect(true, (db) => db.prepare(sql).all() as T[]),
    run: async (sql) => connect(false, (db) => db.prepare(sql).run().changes),
    openAnother: async () => {
      const other = openSqliteStore({ file: t.file, now: () => NOW });
      others.push(other);
      return other;
    },
    cleanup: async () => {
      for (const other of others) await other.close();
      await t.cleanup();
    },
  };
}

export interface ObservationSpec {
  id: string;
  subject?: string;
  device?: string;
  code?: string;
  codeSystem?: string;
  category?: string;
  effective?: string | { start?: string; end?: string };
  value?: number;
}

export function observation(spec: ObservationSpec): Observation {
  const obs: Observation = {
    resourceType: 'Observation',
    id: spec.id,
    status: 'final',
    code: { coding: [{ system: spec.codeSystem ?? LOINC, code: spec.code ?? '8867-4' }] },
    subject: { reference: spec.subject ?? 'Patient/p1' },
    device: { reference: spec.device ?? 'Device/d1' },
    valueQuantity: { value: spec.value ?? 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
  if (spec.category !== undefined) obs.category = [{ coding: [{ system: OBS_CATEGORY, code: spec.category }] }];
  if (typeof spec.effective === 'string') obs.effectiveDateTime = spec.effective;
  else if (spec.effective !== undefined) obs.effectivePeriod = spec.effective;
  return obs;
}

export function device(id: string, patient?: string, identifiers: Array<{ system?: string; value: string }> = []): Device {
  const d: Device = { resourceType: 'Device', id, status: 'active', identifier: identifiers };
  if (patient !== undefined) d.patient = { reference: patient };
  return d;
}

export function auditFor(deviceId: string, entities: string[] = []): AuditEvent {
  return buildIngestAuditEvent({ deviceId, outcome: 'success', recorded: NOW, entities });
}

let jtiCounter = 0;

/** A commit with a fresh jti each call (unless one is given). */
export function commitOf(resources: IngestCommit['resources'], jti = `jti-${++jtiCounter}`, deviceId = 'd1'): IngestCommit {
  return {
    deviceId,
    jti,
    jtiExpiresAt: NOW.getTime() / 1000 + 300,
    resources,
    audit: auditFor(deviceId, resources.map((r) => `${r.resourceType}/${r.id ?? ''}`)),
  };
}
