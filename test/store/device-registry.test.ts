import { STORE_ENGINES, tempStore, NOW, type TempStore } from './store-fixtures';

const JWK = { kty: 'EC', crv: 'P-256', x: 'abc', y: 'def' };
/** base64url SHA-256 thumbprints are 43 characters. */
const THUMB_A = 'A'.repeat(42) + 'a';
const THUMB_B = 'B'.repeat(42) + 'b';

describe.each(STORE_ENGINES)('device registry, $adapter', ({ kind }) => {
  let t: TempStore;
  beforeEach(async () => {
    t = await tempStore(kind);
  });
  afterEach(() => t.cleanup());

  it('adds, gets and lists devices', async () => {
    const added = await t.store.addDevice({ id: 'bp-01', publicJwk: JWK, patient: 'Patient/p1' });
    expect(added).toEqual({ id: 'bp-01', publicJwk: JWK, patient: 'Patient/p1', status: 'active', createdAt: NOW.toISOString() });
    await t.store.addDevice({ id: 'ecg-02', publicJwk: JWK });
    expect(await t.store.getDevice('bp-01')).toEqual(added);
    expect(await t.store.getDevice('nope')).toBeUndefined();
    expect((await t.store.listDevices()).map((d) => d.id)).toEqual(['bp-01', 'ecg-02']);
    expect((await t.store.getDevice('ecg-02'))?.patient).toBeUndefined();
  });

  it('refuses a second registration of the same id and keeps the first key (replayed provisioning)', async () => {
    await t.store.addDevice({ id: 'bp-01', publicJwk: JWK });
    await expect(t.store.addDevice({ id: 'bp-01', publicJwk: { kty: 'EC', x: 'attacker' } })).rejects.toMatchObject({
      code: 'ERR_DEVICE_EXISTS',
      status: 409,
    });
    expect((await t.store.getDevice('bp-01'))?.publicJwk).toEqual(JWK);
  });

  it.each([
    ['id', { id: "x'; DROP TABLE devices;--", publicJwk: JWK }, 'ERR_DEVICE_ID_INVALID'],
    ['id', { id: '', publicJwk: JWK }, 'ERR_DEVICE_ID_INVALID'],
    ['patient', { id: 'd1', publicJwk: JWK, patient: 'http://evil/Patient/1' }, 'ERR_DEVICE_PATIENT_INVALID'],
    ['key', { id: 'd1', publicJwk: null as unknown as Record<string, unknown> }, 'ERR_DEVICE_KEY_INVALID'],
    ['credential (neither key nor certificate)', { id: 'd1' }, 'ERR_DEVICE_CREDENTIAL_MISSING'],
    ['certificate thumbprint', { id: 'd1', certThumbprint: 'CN=device-1' }, 'ERR_DEVICE_CERT_INVALID'],
  ])('refuses an invalid %s', async (_what, device, code) => {
    await expect(t.store.addDevice(device)).rejects.toMatchObject({ code, status: 400 });
    expect(await t.store.listDevices()).toEqual([]);
  });

  it('registers a device by its certificate thumbprint, with or without a key, and finds it by the thumbprint', async () => {
    const certOnly = await t.store.addDevice({ id: 'cert-01', certThumbprint: THUMB_A, patient: 'Patient/p1' });
    expect(certOnly).toEqual({ id: 'cert-01', certThumbprint: THUMB_A, patient: 'Patient/p1', status: 'active', createdAt: NOW.toISOString() });
    const both = await t.store.addDevice({ id: 'both-01', publicJwk: JWK, certThumbprint: THUMB_B });
    expect(both).toMatchObject({ publicJwk: JWK, certThumbprint: THUMB_B });
    expect(await t.store.getDeviceByThumbprint(THUMB_A)).toEqual(certOnly);
    expect((await t.store.getDeviceByThumbprint(THUMB_B))?.id).toBe('both-01');
    expect(await t.store.getDeviceByThumbprint('C'.repeat(43))).toBeUndefined();
    expect(await t.store.getDevice('cert-01')).toEqual(certOnly);
  });

  it('refuses a certificate already registered for another device (one certificate, one device)', async () => {
    await t.store.addDevice({ id: 'cert-01', certThumbprint: THUMB_A });
    await expect(t.store.addDevice({ id: 'cert-02', certThumbprint: THUMB_A })).rejects.toMatchObject({ code: 'ERR_DEVICE_CERT_IN_USE', status: 409 });
    await expect(t.store.addDevice({ id: 'cert-01', certThumbprint: THUMB_B })).rejects.toMatchObject({ code: 'ERR_DEVICE_EXISTS' });
    expect((await t.store.listDevices()).map((d) => d.id)).toEqual(['cert-01']);
  });

  it('revokes a device once, keeping the first revocation time', async () => {
    await t.store.addDevice({ id: 'bp-01', publicJwk: JWK });
    t.clock.now = new Date('2024-03-02T00:00:00.000Z');
    const revoked = await t.store.revokeDevice('bp-01');
    expect(revoked).toMatchObject({ status: 'revoked', revokedAt: '2024-03-02T00:00:00.000Z' });
    t.clock.now = new Date('2024-03-03T00:00:00.000Z');
    expect((await t.store.revokeDevice('bp-01'))?.revokedAt).toBe('2024-03-02T00:00:00.000Z');
    expect(await t.store.revokeDevice('unknown')).toBeUndefined();
  });
});
