import { badRequest, FhirError } from '../../errors/fhir-error';
import type { RegisteredDevice } from '../port';
import type { Db } from './open-database';

/** FHIR `id` (R4): the registry id is used in references and topics, so it must be one. See: https://hl7.org/fhir/R4/datatypes.html#id */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const PATIENT_REFERENCE = /^Patient\/[A-Za-z0-9\-.]{1,64}$/;

interface DeviceDbRow {
  id: string;
  public_jwk: string;
  patient: string | null;
  status: 'active' | 'revoked';
  created_at: string;
  revoked_at: string | null;
}

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
      // Re-provisioning an existing id must not swap its key (security case 26).
      if (result.changes === 0) {
        throw FhirError.of('ERR_DEVICE_EXISTS', { code: 'duplicate', text: `Device ${device.id} is already registered` });
      }
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

function checkNewDevice(device: { id: string; publicJwk: Record<string, unknown>; patient?: string }): void {
  if (!FHIR_ID.test(device.id)) throw badRequest('ERR_DEVICE_ID_INVALID', 'Device id must be a FHIR id ([A-Za-z0-9-.]{1,64})', 'Device.id');
  if (device.patient !== undefined && !PATIENT_REFERENCE.test(device.patient)) {
    throw badRequest('ERR_DEVICE_PATIENT_INVALID', 'Device patient must be a reference Patient/ID', 'Device.patient');
  }
  if (typeof device.publicJwk !== 'object' || device.publicJwk === null || Array.isArray(device.publicJwk)) {
    throw badRequest('ERR_DEVICE_KEY_INVALID', 'Device public key must be a JWK object');
  }
}

function toDevice(row: DeviceDbRow): RegisteredDevice {
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
