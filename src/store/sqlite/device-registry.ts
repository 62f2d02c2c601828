import type { RegisteredDevice } from '../port';
import { toDevice, type DeviceDbRow } from '../shared/device-row';
import { checkNewDevice, deviceExists } from '../shared/resource-rules';
import type { Db } from './open-database';

/** The device registry: who may send readings, with which key, for which patient. */
export interface DeviceRegistry {
  add(device: { id: string; publicJwk: Record<string, unknown>; patient?: string }): RegisteredDevice;
  get(id: string): RegisteredDevice | undefined;
  list(): RegisteredDevice[];
  revoke(id: string): RegisteredDevice | undefined;
}

export function deviceRegistry(db: Db, now: () => Date): DeviceRegistry {
  const insert = db.prepare(
    `INSERT INTO devices (id, public_jwk, patient, status, created_at) VALUES (?, ?, ?, 'active', ?)
     ON CONFLICT (id) DO NOTHING`,
  );
  const select = db.prepare<[string], DeviceDbRow>('SELECT * FROM devices WHERE id = ?');
  const selectAll = db.prepare<[], DeviceDbRow>('SELECT * FROM devices ORDER BY created_at, id');
  const revoke = db.prepare(`UPDATE devices SET status = 'revoked', revoked_at = ? WHERE id = ? AND status = 'active'`);
  const get = (id: string): RegisteredDevice | undefined => {
    const row = select.get(id);
    return row === undefined ? undefined : toDevice(row);
  };
  return {
    add(device) {
      checkNewDevice(device);
      const result = insert.run(device.id, JSON.stringify(device.publicJwk), device.patient ?? null, now().toISOString());
      if (result.changes === 0) throw deviceExists(device.id);
      return get(device.id) as RegisteredDevice;
    },
    get,
    list: () => selectAll.all().map(toDevice),
    revoke(id) {
      revoke.run(now().toISOString(), id);
      return get(id);
    },
  };
}
