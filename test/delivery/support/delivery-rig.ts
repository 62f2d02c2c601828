import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createDelivery, loadOrCreateClientKey, type ClientKey, type OutboxWorker } from '../../../src/delivery';
import { createTestBridge, type TestBridge, type TestDevice } from '../../support/test-bridge';
import { startFaultEhr, type FaultEhr } from '../../support/fault-ehr';

export const CLIENT_ID = 'iomt-bridge-test';

/** A test bridge (real ingest, real SQLite) delivering to a fault-injecting EHR over real HTTP, on a hand-moved clock. */
export interface DeliveryRig {
  bridge: TestBridge;
  ehr: FaultEhr;
  key: ClientKey;
  worker: OutboxWorker;
  clock: { t: number };
  /** Sends `count` pulse-oximeter readings (2 Observations each) from `device`, numbered from `from`. */
  send(device: TestDevice, from: number, count: number): Promise<void>;
  /**
   * Runs the worker until nothing is pending: when nothing is due, the clock jumps ahead (past any retry
   * delay, breaker cool-down or lease) instead of sleeping. Returns the number of cycles.
   */
  drain(maxCycles?: number): Promise<number>;
  close(): Promise<void>;
}

export async function deliveryRig(env: Record<string, string> = {}): Promise<DeliveryRig> {
  const keyDir = mkdtempSync(join(tmpdir(), 'iomt-key-'));
  const key = await loadOrCreateClientKey(keyDir, 'ES384');
  const ehr = await startFaultEhr({ clientId: CLIENT_ID, jwks: { keys: [key.publicJwk] } });
  ehr.addPatient('example');
  const bridge = await createTestBridge({
    IOMT_EHR_BASE_URL: ehr.baseUrl, IOMT_EHR_CLIENT_ID: CLIENT_ID, IOMT_EHR_TIMEOUT_MS: '400', IOMT_EHR_LEASE_S: '5',
    IOMT_EHR_BATCH_SIZE: '10', ...env,
  });
  const clock = { t: Date.now() };
  const worker = createDelivery({
    config: bridge.config.ehr!, key, store: bridge.store, metrics: bridge.metrics, logger: pino({ level: 'silent' }),
    now: () => clock.t, random: () => 0.5,
  });
  return {
    bridge, ehr, key, worker, clock,
    async send(device, from, count) {
      const lines = Array.from({ length: count }, (_, i) => JSON.stringify(reading(from + i)));
      const res = await bridge.ingest(device, lines.join('\n'), { contentType: 'application/x-ndjson', mapping: 'pulse-oximeter' });
      if (res.statusCode >= 300) throw new Error(`ingest answered ${res.statusCode}: ${res.payload}`);
    },
    async drain(maxCycles = 500) {
      for (let cycle = 1; cycle <= maxCycles; cycle += 1) {
        const handled = await worker.runOnce();
        if ((await bridge.store.outboxSummary()).pending === 0) return cycle;
        if (handled === 0) clock.t += 10 * 60_000;
      }
      throw new Error('the outbox did not drain');
    },
    async close() {
      await bridge.close();
      await ehr.close();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}

/** A pulse-oximeter reading with its own message id (the Observation identifiers derive from it). */
export function reading(n: number): Record<string, unknown> {
  return {
    type: 'pulse-oximeter', messageId: `m-${n}`, timestamp: new Date(Date.UTC(2024, 4, 14, 9, 0, n % 60, 0) + Math.floor(n / 60) * 60_000).toISOString(),
    device: { serial: 'PO-8841-A', manufacturer: 'Acme Medical', model: 'OxiClip 300', firmware: '2.4.1' }, spo2: 90 + (n % 10), pulseRate: 60 + (n % 30),
  };
}

/** Observation identifier values at the EHR, each with how many resources carry it. */
export function identifierCounts(ehr: FaultEhr, type = 'Observation'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of ehr.resources(type) as Array<{ identifier?: Array<{ system?: string; value?: string }> }>) {
    const id = r.identifier?.find((i) => i.system === (type === 'Device' ? 'urn:iomt-bridge:device' : 'urn:iomt-bridge:observation'))?.value ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
