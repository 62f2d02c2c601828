import type { RegisteredDevice } from '../port';

/** A `devices` row as both adapters select it (times are ISO strings, the key is JSON text). */
export interface DeviceDbRow {
  id: string;
  public_jwk: string;
  patient: string | null;
  status: 'active' | 'revoked';
  created_at: string;
  revoked_at: string | null;
}

export function toDevice(row: DeviceDbRow): RegisteredDevice {
  const device: RegisteredDevice = {
    id: row.id,
    publicJwk: JSON.parse(row.public_jwk) as Record<string, unknown>,
    status: row.status,
    createdAt: row.created_at,
  };
  if (row.patient !== null) device.patient = row.patient;
  if (row.revoked_at !== null) device.revokedAt = row.revoked_at;
  return device;
}
