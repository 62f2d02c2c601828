import type { Device } from 'fhir/r4';
import { auditFor, commitOf, device, STORE_ENGINES, tempStore, type TempStore } from './store-fixtures';
import { refusalCode } from '../support/refusal-code';

let t: TempStore;

const codeOf = (promise: Promise<unknown>): Promise<string> => refusalCode(promise, 'linked');

describe.each(STORE_ENGINES)('linkDevice, $adapter', ({ kind }) => {
  beforeEach(async () => {
    t = await tempStore(kind);
    await t.store.addDevice({ id: 'cuff-1', publicJwk: { kty: 'EC' } });
  });
  afterEach(() => t.cleanup());

  it('links registry and resource (a minimal Device when none was stored), with outbox row and audit, in one go', async () => {
    const before = await t.store.counts();
    const result = await t.store.linkDevice('cuff-1', 'Patient/A', auditFor('cuff-1', ['Device/cuff-1']));
    expect(result).toEqual({ deviceId: 'cuff-1', patient: 'Patient/A', created: true, versionId: '1' });
    expect((await t.store.getDevice('cuff-1'))?.patient).toBe('Patient/A');
    const stored = (await t.store.read('Device', 'cuff-1')) as Device;
    expect(stored).toMatchObject({ resourceType: 'Device', id: 'cuff-1', status: 'active', patient: { reference: 'Patient/A' }, meta: { versionId: '1' } });
    expect(await t.store.counts()).toEqual({ ...before, resources: 1, outbox: 1, audit: before.audit + 1 });
    // The patient's Device search finds it now.
    expect((await t.store.searchDevices({ patient: ['Patient/A'], count: 10, offset: 0 })).resources.map((d) => d.id)).toEqual(['cuff-1']);
  });

  it('writes a new version of a stored Device, keeping its content', async () => {
    await t.store.commitIngest(commitOf([{ ...device('cuff-1'), manufacturer: 'Acme' }], 'j1', 'cuff-1'));
    await t.store.linkDevice('cuff-1', 'Patient/A', auditFor('cuff-1'));
    const stored = (await t.store.read('Device', 'cuff-1')) as Device;
    expect(stored).toMatchObject({ manufacturer: 'Acme', patient: { reference: 'Patient/A' }, meta: { versionId: '2' } });
  });

  it('is idempotent for the same patient (nothing written)', async () => {
    await t.store.linkDevice('cuff-1', 'Patient/A', auditFor('cuff-1'));
    const before = await t.store.counts();
    expect(await t.store.linkDevice('cuff-1', 'Patient/A', auditFor('cuff-1'))).toEqual({ deviceId: 'cuff-1', patient: 'Patient/A', created: false });
    expect(await t.store.counts()).toEqual(before);
  });

  it.each([
    ['another patient', async () => t.store.linkDevice('cuff-1', 'Patient/A', auditFor('cuff-1')), 'cuff-1', 'Patient/B', '409 ERR_DEVICE_ALREADY_LINKED'],
    ['a device whose resource names another patient', async () => {
      await t.store.commitIngest(commitOf([device('cuff-1', 'Patient/C')], 'j2', 'cuff-1'));
    }, 'cuff-1', 'Patient/B', '409 ERR_DEVICE_ALREADY_LINKED'],
    ['a revoked device', async () => t.store.revokeDevice('cuff-1'), 'cuff-1', 'Patient/B', '409 ERR_DEVICE_REVOKED'],
    ['an unknown device', async () => undefined, 'nope', 'Patient/B', '404 ERR_NOT_FOUND'],
    ['a malformed patient', async () => undefined, 'cuff-1', 'B', '400 ERR_DEVICE_PATIENT_INVALID'],
  ])('refuses %s, writing nothing', async (_label, setup, id, patient, expected) => {
    await setup();
    const before = await t.store.counts();
    expect(await codeOf(t.store.linkDevice(id, patient, auditFor(id)))).toBe(expected);
    expect(await t.store.counts()).toEqual(before);
  });
});
