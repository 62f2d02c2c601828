import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observation } from 'fhir/r4';
import { loadOrCreateClientKey } from '../../src/delivery';
import { postReadings, registerDevices, startBridgeProcess, type BridgeProcess } from '../delivery/support/bridge-process';
import { startSandboxProcess, type SandboxProcess } from '../sandbox/support/sandbox-process';

/** Resolves when `check` holds; the sandbox is another process, so its state is read over its control API. */
async function until<T>(check: () => Promise<T | undefined>, what: string, deadlineMs = 20_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * End to end against the sandbox EHR (oidc-provider SMART server + FHIR endpoint, both real processes): readings
 * ingested over HTTP are found in the EHR once each, through injected 503/429/reset/half answer/lost answer.
 */
describe('delivery to the sandbox EHR', () => {
  let dataDir: string;
  let sandbox: SandboxProcess;
  let bridge: BridgeProcess | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'iomt-sandbox-e2e-'));
    const key = await loadOrCreateClientKey(dataDir, 'ES384');
    sandbox = await startSandboxProcess(['--faults', '--backend-jwks-json', JSON.stringify({ keys: [key.publicJwk] })]);
  });
  afterAll(async () => {
    await bridge?.stop();
    await sandbox.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const observations = async (): Promise<Observation[]> => {
    const res = await fetch(`${sandbox.controlUrl}/resources/Observation`);
    return ((await res.json()) as { resources: Observation[] }).resources;
  };

  it('delivers every reading once, to the right patient, through faults', async () => {
    const [a, b] = await registerDevices(dataDir, ['po-s1'], 'Patient/example').then(async (first) => [...first, ...(await registerDevices(dataDir, ['po-s2'], 'Patient/pat-2'))]);
    const before = (await observations()).length;
    bridge = await startBridgeProcess(dataDir, {
      IOMT_EHR_BASE_URL: sandbox.fhirBaseUrl, IOMT_EHR_CLIENT_ID: sandbox.clients.backend, IOMT_EHR_BATCH_SIZE: '5',
      IOMT_EHR_TIMEOUT_MS: '1000', IOMT_EHR_LEASE_S: '2', IOMT_EHR_POLL_MS: '20', IOMT_EHR_RETRY_BASE_MS: '50', IOMT_EHR_RETRY_MAX_MS: '300',
    });
    const faults = [{ status: 503, retryAfter: '1' }, { status: 429, retryAfter: '1' }, { reset: true }, { partial: true }, { dropAfterCommit: true }]
      .map((f) => ({ ...f, method: 'POST' }));
    await fetch(`${sandbox.controlUrl}/faults`, { method: 'POST', body: JSON.stringify({ faults }), headers: { 'content-type': 'application/json' } });
    await postReadings(bridge, a!, 0, 10);
    await postReadings(bridge, b!, 100, 10);

    const delivered = await until(async () => {
      const all = (await observations()).slice(before);
      return all.length >= 40 ? all : undefined;
    }, '40 Observations at the sandbox');
    const ids = delivered.map((o) => o.identifier?.find((i) => i.system === 'urn:iomt-bridge:observation')?.value);
    expect(new Set(ids).size).toBe(40);
    expect(ids).toHaveLength(40);
    const bySubject = new Map<string, number>();
    for (const o of delivered) bySubject.set(o.subject?.reference ?? '', (bySubject.get(o.subject?.reference ?? '') ?? 0) + 1);
    expect(bySubject).toEqual(new Map([['Patient/example', 20], ['Patient/pat-2', 20]]));
    expect(delivered.every((o) => /^Device\/[^/]+$/.test(o.device?.reference ?? ''))).toBe(true);
    const remaining = await (await fetch(`${sandbox.controlUrl}/faults`)).json() as { faults: unknown[] };
    expect(remaining.faults).toEqual([]);
    expect(await bridge.stop()).toBe(0);
  });

  it('sends a corrected reading as a conditional update: one Observation at the EHR, next version, new value', async () => {
    const [device] = await registerDevices(dataDir, ['po-s3'], 'Patient/example');
    bridge = await startBridgeProcess(dataDir, {
      IOMT_EHR_BASE_URL: sandbox.fhirBaseUrl, IOMT_EHR_CLIENT_ID: sandbox.clients.backend, IOMT_EHR_POLL_MS: '20',
    });
    const spo2Of = async (): Promise<Observation[]> => (await observations()).filter((o) =>
      o.identifier?.some((i) => i.value?.includes('/m-500/')) === true && o.code.coding?.some((c) => c.code === '59408-5') === true);
    await postReadings(bridge, device!, 500, 1);
    const first = await until(async () => { const found = await spo2Of(); return found.length > 0 ? found : undefined; }, 'the reading at the sandbox');
    expect(first.map((o) => [o.valueQuantity?.value, o.meta?.versionId])).toEqual([[90, '1']]);

    await postReadings(bridge, device!, 500, 1, (r) => ({ ...r, spo2: 97 }));
    const corrected = await until(async () => {
      const found = await spo2Of();
      return found.some((o) => o.meta?.versionId === '2') ? found : undefined;
    }, 'the correction at the sandbox');
    expect(corrected.map((o) => [o.id, o.valueQuantity?.value, o.meta?.versionId])).toEqual([[first[0]?.id, 97, '2']]);
    const status = await (await fetch(`${bridge.url}/metrics`)).text();
    expect(status).not.toMatch(/iomt_outbox_entries\{status="dead"\} [1-9]/);
    expect(await bridge.stop()).toBe(0);
  });
});
