import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateClientKey, type ClientKey } from '../../src/delivery';
import { openSqliteStore } from '../../src/store';
import { postReadings, registerDevices, startBridgeProcess, type BridgeProcess } from '../delivery/support/bridge-process';
import { CLIENT_ID, identifierCounts } from '../delivery/support/delivery-rig';
import { startFaultEhr, type FaultEhr } from '../support/fault-ehr';

/**
 * kill -9 of the real bridge process while it is pushing to the EHR, then a restart over the same data folder:
 * every committed reading reaches the EHR, none twice, without waiting for the dead process's leases to run out
 * (they are an hour long here: the restarted worker releases them at start). The EHR is slow (each transaction is held) so the kill
 * lands with pushes in flight — some of which the EHR commits without the bridge ever hearing back.
 */
describe('delivery survives kill -9 (real process, real HTTP)', () => {
  let dataDir: string;
  let ehr: FaultEhr;
  let bridge: BridgeProcess | undefined;
  let key: ClientKey;
  const READINGS_PER_DEVICE = 20;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'iomt-crash-'));
    // The key the bridge will load on start, registered with the EHR beforehand (as an operator would).
    key = await loadOrCreateClientKey(dataDir, 'ES384');
    ehr = await startFaultEhr({ clientId: CLIENT_ID, jwks: { keys: [key.publicJwk] } });
    ehr.addPatient('example');
  });
  afterAll(async () => {
    await bridge?.stop();
    await ehr.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing and duplicates nothing', async () => {
    const env = {
      IOMT_EHR_BASE_URL: ehr.baseUrl, IOMT_EHR_CLIENT_ID: CLIENT_ID, IOMT_EHR_BATCH_SIZE: '4', IOMT_EHR_CONCURRENCY: '2',
      IOMT_EHR_TIMEOUT_MS: '800', IOMT_EHR_LEASE_S: '3600', IOMT_EHR_POLL_MS: '20', IOMT_EHR_RETRY_BASE_MS: '50', IOMT_EHR_RETRY_MAX_MS: '200',
    };
    const devices = await registerDevices(dataDir, ['po-a', 'po-b', 'po-c'], 'Patient/example');
    ehr.faults.push({ delayMs: 150, times: 1000 });
    bridge = await startBridgeProcess(dataDir, env);
    const jwks = (await (await fetch(`${bridge.url}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toEqual([{ ...key.publicJwk }]);
    expect(jwks.keys[0]?.d).toBeUndefined();
    for (const [i, device] of devices.entries()) await postReadings(bridge, device, i * 1000, READINGS_PER_DEVICE);
    const expected = devices.length * READINGS_PER_DEVICE * 2;

    await ehr.waitFor(() => (ehr.counts.transaction ?? 0) >= 3 && identifierCounts(ehr).size < expected);
    await bridge.kill9();
    const atKill = identifierCounts(ehr).size;
    expect(atKill).toBeLessThan(expected);

    ehr.faults.splice(0, ehr.faults.length, { dropAfterCommit: true }, { delayMs: 20, times: 1000 });
    bridge = await startBridgeProcess(dataDir, env);
    await ehr.waitFor(() => identifierCounts(ehr).size === expected);
    // The lease is an hour long (IOMT_EHR_LEASE_S): the restart got there by releasing the dead process's leases.
    const released = bridge.logLines.map((l) => JSON.parse(l) as { msg?: string; released?: Array<{ owner: string; entries: number }> })
      .find((l) => l.msg === 'released outbox leases of a worker that no longer runs');
    expect(released?.released?.[0]?.entries).toBeGreaterThan(0);
    expect(await bridge.stop()).toBe(0);

    const counts = identifierCounts(ehr);
    expect(counts.size).toBe(expected);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect([...identifierCounts(ehr, 'Device').values()]).toEqual([1, 1, 1]);
    const store = openSqliteStore({ file: join(dataDir, 'iomt-bridge.db') });
    try {
      expect(await store.outboxSummary()).toMatchObject({ pending: 0, dead: 0, delivered: expected + devices.length });
      const stored = await store.searchObservations({ count: 1000, offset: 0 });
      expect(stored.resources.map((o) => o.identifier?.[0]?.value).sort()).toEqual([...counts.keys()].sort());
    } finally {
      await store.close();
    }
  });
});
