import type { Observation } from 'fhir/r4';
import { deliveryRig, identifierCounts, type DeliveryRig } from './support/delivery-rig';

describe('dead letter and replay', () => {
  let rig: DeliveryRig;
  afterEach(() => rig.close());

  it('isolates a rejected reading in the dead letter with payload and the EHR answer; replay after a fix delivers it', async () => {
    rig = await deliveryRig();
    const device = await rig.bridge.addDevice('po-7', 'Patient/example');
    await rig.send(device, 0, 3);
    rig.ehr.reject.add('po-7/m-1/');
    await rig.drain();

    const dead = await rig.bridge.store.listOutbox({ status: 'dead', limit: 10 });
    expect(dead).toHaveLength(2); // the two Observations of reading m-1; its neighbours went through
    for (const entry of dead) {
      expect(entry.lastError).toBe('ERR_EHR_REJECTED: the EHR rejected the content (422)');
      expect(JSON.parse(entry.ehrResponse ?? '{}')).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ diagnostics: 'this EHR refuses that content' }] });
      expect(((await rig.bridge.store.read('Observation', entry.resourceId)) as Observation | undefined)?.identifier?.[0]?.value).toMatch(/^po-7\/m-1\//);
    }
    expect(identifierCounts(rig.ehr).size).toBe(4);

    rig.ehr.reject.clear();
    const plain = await rig.bridge.token('system/Observation.rs');
    const refused = await rig.bridge.server.inject({ method: 'POST', url: '/admin/outbox/replay', payload: { dead: true }, headers: { authorization: `Bearer ${plain}` } });
    expect([refused.statusCode, rig.bridge.lastErrorCode()]).toEqual([403, 'ERR_ADMIN_SCOPE']);
    const token = await rig.bridge.token('iomt:admin');
    const listed = await rig.bridge.server.inject({ method: 'GET', url: '/admin/outbox/entries?status=dead', headers: { authorization: `Bearer ${token}` } });
    expect(JSON.parse(listed.payload)).toHaveLength(2);
    const replay = await rig.bridge.server.inject({ method: 'POST', url: '/admin/outbox/replay', payload: { dead: true }, headers: { authorization: `Bearer ${token}` } });
    expect(JSON.parse(replay.payload)).toEqual({ replayed: 2 });
    await rig.drain();
    expect(identifierCounts(rig.ehr).size).toBe(6);
    expect([...identifierCounts(rig.ehr).values()].every((n) => n === 1)).toBe(true);
    const status = await rig.bridge.server.inject({ method: 'GET', url: '/admin/outbox', headers: { authorization: `Bearer ${token}` } });
    expect(JSON.parse(status.payload)).toMatchObject({ pending: 0, dead: 0, delivered: 7 });
  });

  it('sends a reading whose patient the EHR does not know to the dead letter with a clear reason, never drops it', async () => {
    rig = await deliveryRig();
    const device = await rig.bridge.addDevice('po-8', 'Patient/ghost');
    await rig.send(device, 0, 1);
    await rig.drain();
    const dead = await rig.bridge.store.listOutbox({ status: 'dead', limit: 10 });
    expect(dead.map((d) => d.resourceType)).toEqual(['Observation', 'Observation']);
    expect(dead[0]?.lastError).toBe('ERR_EHR_PATIENT_UNRESOLVED: the EHR has no patient for Patient/ghost (nor one linked to device po-8)');
    expect(rig.ehr.resources('Observation')).toEqual([]);

    rig.ehr.addPatient('ghost');
    const audit = (await rig.bridge.store.listAudit()).at(-1)!.event;
    expect(await rig.bridge.store.replayOutbox({ which: 'dead', now: rig.clock.t, audit })).toBe(2);
    await rig.drain();
    expect((rig.ehr.resources('Observation') as Array<{ subject?: { reference?: string } }>).map((o) => o.subject?.reference)).toEqual(['Patient/ghost', 'Patient/ghost']);
  });

  it('finds the patient by identifier when so configured, else through the device link at the EHR', async () => {
    rig = await deliveryRig({ IOMT_EHR_PATIENT_IDENTIFIER_SYSTEM: 'urn:mrn' });
    rig.ehr.addPatient('ehr-123', { system: 'urn:mrn', value: 'MRN-9' });
    const byMrn = await rig.bridge.addDevice('po-10', 'Patient/MRN-9');
    await rig.send(byMrn, 0, 1);
    await rig.drain();
    const subjects = (rig.ehr.resources('Observation') as Array<{ subject?: { reference?: string } }>).map((o) => o.subject?.reference);
    expect(subjects).toEqual(['Patient/ehr-123', 'Patient/ehr-123']);
    // The EHR links its own record of device po-11 to Patient/ehr-123: a reading naming an MRN it does not know goes there.
    rig.ehr.put({ resourceType: 'Device', id: 'dev-at-ehr', identifier: [{ system: 'urn:iomt-bridge:device', value: 'po-11' }], patient: { reference: `${rig.ehr.baseUrl}/Patient/ehr-123` } } as never);
    const unlinked = await rig.bridge.addDevice('po-11', 'Patient/MRN-unknown');
    await rig.send(unlinked, 0, 1);
    await rig.drain();
    expect((await rig.bridge.store.outboxSummary()).dead).toBe(0);
    expect((rig.ehr.resources('Observation') as Array<{ subject?: { reference?: string } }>).map((o) => o.subject?.reference)).toEqual(Array(4).fill('Patient/ehr-123'));
  });
});
