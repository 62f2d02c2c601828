import type { RegisteredDevice } from '../port';
import { toDevice, type DeviceDbRow } from '../shared/device-row';
import { checkNewDevice, deviceExists } from '../shared/resource-rules';
import type { Pool } from './connect-pool';

/** The device registry: who may send readings, with which key, for which patient. Single statements: autocommit. */
export interface DeviceRegistry {
  add(device: { id: string; publicJwk: Record<string, unknown>; patient?: string }): Promise<RegisteredDevice>;
  get(id: string): Promise<RegisteredDevice | undefined>;
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
      // ON CONFLICT DO NOTHING: of two concurrent registrations of one id exactly one inserts; the other is told.
      const result = await pool.query(
        `INSERT INTO devices (id, public_jwk, patient, status, created_at) VALUES ($1, $2, $3, 'active', $4) ON CONFLICT (id) DO NOTHING`,
        [device.id, JSON.stringify(device.publicJwk), device.patient ?? null, now().toISOString()],
      );
      if (result.rowCount === 0) throw deviceExists(device.id);
      return (await get(device.id)) as RegisteredDevice;
    },
    get,
    list: async () => (await pool.query<DeviceDbRow>('SELECT * FROM devices ORDER BY created_at, id')).rows.map(toDevice),
    async revoke(id) {
      await pool.query(`UPDATE devices SET status = 'revoked', revoked_at = $1 WHERE id = $2 AND status = 'active'`, [now().toISOString(), id]);
      return get(id);
    },
  };
}
