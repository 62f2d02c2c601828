import type { NewDevice, RegisteredDevice } from '../port';
import { toDevice, type DeviceDbRow } from '../shared/device-row';
import { certificateInUse, checkNewDevice, deviceExists } from '../shared/resource-rules';
import type { Pool } from './connect-pool';

/** The device registry: who may send readings, with which key, for which patient. Single statements: autocommit. */
export interface DeviceRegistry {
  add(device: NewDevice): Promise<RegisteredDevice>;
  get(id: string): Promise<RegisteredDevice | undefined>;
  getByThumbprint(thumbprint: string): Promise<RegisteredDevice | undefined>;
  list(): Promise<RegisteredDevice[]>;
  revoke(id: string): Promise<RegisteredDevice | undefined>;
}

export function deviceRegistry(pool: Pool, now: () => Date): DeviceRegistry {
  const get = async (id: string): Promise<RegisteredDevice | undefined> => {
    const row = (await pool.query<DeviceDbRow>('SELECT * FROM devices WHERE id = $1', [id])).rows[0];
    return row === undefined ? undefined : toDevice(row);
  };
  return {
    async add(device) {
      checkNewDevice(device);
      // ON CONFLICT DO NOTHING (any unique key: id, thumbprint): of two concurrent registrations exactly one
      // inserts; the other is told which key it collided on.
      const result = await pool.query(
        `INSERT INTO devices (id, public_jwk, cert_sha256, patient, status, created_at) VALUES ($1, $2, $3, $4, 'active', $5) ON CONFLICT DO NOTHING`,
        [device.id, device.publicJwk === undefined ? null : JSON.stringify(device.publicJwk), device.certThumbprint ?? null, device.patient ?? null, now().toISOString()],
      );
      if (result.rowCount === 0) throw (await get(device.id)) === undefined ? certificateInUse() : deviceExists(device.id);
      return (await get(device.id)) as RegisteredDevice;
    },
    get,
    async getByThumbprint(thumbprint) {
      const row = (await pool.query<DeviceDbRow>('SELECT * FROM devices WHERE cert_sha256 = $1', [thumbprint])).rows[0];
      return row === undefined ? undefined : toDevice(row);
    },
    list: async () => (await pool.query<DeviceDbRow>('SELECT * FROM devices ORDER BY created_at, id')).rows.map(toDevice),
    async revoke(id) {
      await pool.query(`UPDATE devices SET status = 'revoked', revoked_at = $1 WHERE id = $2 AND status = 'active'`, [now().toISOString(), id]);
      return get(id);
    },
  };
}
