import { deliveryRig, identifierCounts, type DeliveryRig } from './support/delivery-rig';

/** Every Observation the bridge stored, by identifier value. */
async function storedIdentifiers(rig: DeliveryRig): Promise<string[]> {
  const page = await rig.bridge.store.searchObservations({ count: 10_000, offset: 0 });
  return page.resources.map((o) => o.identifier?.[0]?.value ?? '').sort();
}

describe('delivery through a misbehaving EHR (real HTTP)', () => {
  let rig: DeliveryRig;
  beforeEach(async () => {
    rig = await deliveryRig();
  });
  afterEach(() => rig.close());

  it('delivers every committed reading exactly once (by identifier) through 500, 503, 429, hangs, resets, half answers and lost answers', async () => {
    const devices = await Promise.all(['po-1', 'po-2', 'po-3'].map((id) => rig.bridge.addDevice(id, 'Patient/example')));
    for (const [i, d] of devices.entries()) await rig.send(d, i * 100, 12);
    rig.ehr.faults.push(
      { status: 500 }, { status: 503, retryAfter: '2' }, { status: 429, retryAfter: '1' }, { hang: true }, { reset: true },
      { partial: true }, { dropAfterCommit: true }, { dropAfterCommit: true, times: 2 }, { status: 200, body: '{"resourceType":"Bundle"' },
      { status: 302, location: 'http://169.254.169.254/latest' }, { status: 502, times: 3 },
    );
    await rig.drain();

    const expected = await storedIdentifiers(rig);
    expect(expected).toHaveLength(3 * 12 * 2);
    const atEhr = identifierCounts(rig.ehr);
    expect([...atEhr.keys()].sort()).toEqual(expected);
    expect([...atEhr.values()].every((n) => n === 1)).toBe(true);
    expect(identifierCounts(rig.ehr, 'Device')).toEqual(new Map([['po-1', 1], ['po-2', 1], ['po-3', 1]]));
    expect(rig.ehr.faults).toEqual([]); // every fault was met
    expect(await rig.bridge.store.outboxSummary()).toMatchObject({ pending: 0, dead: 0, delivered: 3 * (12 * 2 + 1) });
  });

  it('points each pushed Observation at the EHR patient and the EHR copy of its Device (urn:uuid resolved)', async () => {
    const device = await rig.bridge.addDevice('po-9', 'Patient/example');
    await rig.send(device, 0, 1);
    await rig.drain();
    const [ehrDevice] = rig.ehr.resources('Device');
    for (const obs of rig.ehr.resources('Observation') as Array<{ subject?: { reference?: string }; device?: { reference?: string }; id?: string; meta?: unknown }>) {
      expect(obs.subject?.reference).toBe('Patient/example');
      expect(obs.device?.reference).toBe(`Device/${ehrDevice?.id}`);
    }
    const rows = await rig.bridge.store.listOutbox({ limit: 10 });
    expect(rows.every((r) => /^(Device|Observation)\/[0-9a-f-]{36}$/.test(r.ehrReference ?? ''))).toBe(true);
  });

  it('keeps each device in order while a retry waits, and records every push as a disclosure', async () => {
    const device = await rig.bridge.addDevice('po-5', 'Patient/example');
    await rig.send(device, 0, 1);
    rig.ehr.faults.push({ status: 503 });
    expect(await rig.worker.runOnce()).toBe(3);
    await rig.send(device, 1, 1);
    expect(await rig.worker.runOnce()).toBe(0); // the head waits for its retry time; the newer reading waits behind it
    await rig.drain();
    const rows = await rig.bridge.store.listOutbox({ limit: 10 });
    expect(rows.map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'delivered']);
    const disclosures = await rig.bridge.store.listDisclosures({ patient: 'Patient/example', since: '2000-01-01' });
    expect(disclosures.map((d) => [d.event.outcome, d.event.outcomeDesc?.split(':')[0]])).toEqual([['8', 'ERR_EHR_HTTP_STATUS'], ['0', undefined]]);
    const [, delivered] = disclosures;
    expect(delivered?.event.type.code).toBe('110106');
    expect(delivered?.event.agent[1]?.who?.identifier?.value).toBe(rig.ehr.baseUrl);
    expect(delivered?.event.purposeOfEvent?.[0]?.coding?.[0]?.code).toBe('TREAT');
    expect(delivered?.event.entity?.filter((e) => e.role?.code === '4')).toHaveLength(5);
  });
});

describe('circuit breaker in front of the EHR', () => {
  let rig: DeliveryRig;
  beforeEach(async () => {
    rig = await deliveryRig({ IOMT_EHR_RETRY_BASE_MS: '1', IOMT_EHR_RETRY_MAX_MS: '1' });
  });
  afterEach(() => rig.close());

  it('opens the circuit breaker while the EHR is down, then probes with one batch', async () => {
    const device = await rig.bridge.addDevice('po-6', 'Patient/example');
    await rig.send(device, 0, 30);
    rig.ehr.faults.push({ status: 500, times: 5 });
    for (let i = 0; i < 5; i += 1) {
      rig.clock.t += 1; // retries are due after 1 ms here: only the breaker holds delivery back
      expect(await rig.worker.runOnce()).toBe(10);
    }
    rig.clock.t += 1;
    const transactions = rig.ehr.counts.transaction;
    expect(await rig.worker.runOnce()).toBe(0); // breaker open: no request at all
    expect(rig.ehr.counts.transaction).toBe(transactions);
    rig.ehr.faults.push({ status: 500 });
    rig.clock.t += 5000; // cool-down over: one probe, which fails: open again, for twice as long
    expect(await rig.worker.runOnce()).toBe(10);
    rig.clock.t += 9999;
    expect(await rig.worker.runOnce()).toBe(0);
    rig.clock.t += 1;
    expect(await rig.worker.runOnce()).toBe(10);
    await rig.drain();
    expect(identifierCounts(rig.ehr).size).toBe(60);
  });
});
