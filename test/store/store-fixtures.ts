import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent, Device, Observation } from 'fhir/r4';
import { buildIngestAuditEvent } from '../../src/audit';
import { openSqliteStore, type IngestCommit, type Store } from '../../src/store';

/** Frozen clock: 2024-03-01T12:00:00Z unless a test moves it. */
export const NOW = new Date('2024-03-01T12:00:00.000Z');
export const LOINC = 'http://loinc.org';
export const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

export interface TempStore {
  store: Store;
  dir: string;
  file: string;
  clock: { now: Date };
  cleanup: () => Promise<void>;
}

/** The two write paths every store suite runs on: in the calling thread, and on the writer thread (serve's). */
export const WRITE_PATHS = [
  { writes: 'in-thread', writerThread: false },
  { writes: 'on the writer thread', writerThread: true },
] as const;

/** A real SQLite file in a fresh temp dir (the store creates the `data/` folder itself). */
export function tempStore(options: { writerThread?: boolean } = {}): TempStore {
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
