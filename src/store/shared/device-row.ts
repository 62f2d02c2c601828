import type { RegisteredDevice } from '../port';

/** A `devices` row as both adapters select it (times are ISO strings, the key is JSON text). */
export interface DeviceDbRow {
  id: string;
  public_jwk: string | null;
  cert_sha256: string | null;
  patient: string | null;
  status: 'active' | 'revoked';
  created_at: string;
  revoked_at: string | null;
}

export function toDevice(row: DeviceDbRow): RegisteredDevice {
  const device: RegisteredDevice = {
    id: row.id,
    status: row.status,
    createdAt: row.created_at,
  };
  if (row.public_jwk !== null) device.publicJwk = JSON.parse(row.public_jwk) as Record<string, unknown>;
  if (row.cert_sha256 !== null) device.certThumbprint = row.cert_sha256;
  if (row.patient !== null) device.patient = row.patient;
  if (row.revoked_at !== null) device.revokedAt = row.revoked_at;
  return device;
}
