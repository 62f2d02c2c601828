import type { NewDevice, RegisteredDevice } from '../port';
import { toDevice, type DeviceDbRow } from '../shared/device-row';
import { certificateInUse, checkNewDevice, deviceExists } from '../shared/resource-rules';
import type { Db } from './open-database';

/** The device registry: who may send readings, with which key, for which patient. */
export interface DeviceRegistry {
  add(device: NewDevice): RegisteredDevice;
  get(id: string): RegisteredDevice | undefined;
  getByThumbprint(thumbprint: string): RegisteredDevice | undefined;
  list(): RegisteredDevice[];
  revoke(id: string): RegisteredDevice | undefined;
}

export function deviceRegistry(db: Db, now: () => Date): DeviceRegistry {
  const insert = db.prepare(
    `INSERT INTO devices (id, public_jwk, cert_sha256, patient, status, created_at) VALUES (?, ?, ?, ?, 'active', ?)
     ON CONFLICT DO NOTHING`,
  );
  const select = db.prepare<[string], DeviceDbRow>('SELECT * FROM devices WHERE id = ?');
  const selectByThumbprint = db.prepare<[string], DeviceDbRow>('SELECT * FROM devices WHERE cert_sha256 = ?');
  const selectAll = db.prepare<[], DeviceDbRow>('SELECT * FROM devices ORDER BY created_at, id');
  const revoke = db.prepare(`UPDATE devices SET status = 'revoked', revoked_at = ? WHERE id = ? AND status = 'active'`);
  const get = (id: string): RegisteredDevice | undefined => {
    const row = select.get(id);
    return row === undefined ? undefined : toDevice(row);
  };
  return {
    add(device) {
      checkNewDevice(device);
      const jwk = device.publicJwk === undefined ? null : JSON.stringify(device.publicJwk);
      // ON CONFLICT DO NOTHING (any unique key): the id and the thumbprint are each registered once.
      const result = insert.run(device.id, jwk, device.certThumbprint ?? null, device.patient ?? null, now().toISOString());
      if (result.changes === 0) throw get(device.id) === undefined ? certificateInUse() : deviceExists(device.id);
      return get(device.id) as RegisteredDevice;
    },
    get,
    getByThumbprint(thumbprint) {
      const row = selectByThumbprint.get(thumbprint);
      return row === undefined ? undefined : toDevice(row);
    },
    list: () => selectAll.all().map(toDevice),
    revoke(id) {
      revoke.run(now().toISOString(), id);
      return get(id);
    },
  };
}
