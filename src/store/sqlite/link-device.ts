import type { AuditEvent, Device } from 'fhir/r4';
import { badRequest, FhirError, notFound } from '../../errors/fhir-error';
import type { LinkedDevice } from '../port';
import type { AuditLog } from './audit-log';
import type { Db } from './open-database';
import { resourceWriter } from './write-resource';

const PATIENT_REFERENCE = /^Patient\/[A-Za-z0-9\-.]{1,64}$/;
/** The identifier system our mappings give every Device (see src/mapping/compile-device.ts). */
const DEVICE_SYSTEM = 'urn:iomt-bridge:device';

const alreadyLinked = (id: string): FhirError =>
  FhirError.of('ERR_DEVICE_ALREADY_LINKED', { code: 'conflict', text: `Device ${id} is already linked to a patient`, expression: 'Device.patient' });

/**
 * Links an unassigned device to a patient in ONE immediate transaction: the registry row (only while it
 * has no patient: two clinicians cannot both win), a new version of the Device resource carrying
 * `patient` (a minimal one when the device has not sent anything yet), its outbox row, and the audit
 * entry. Linking again to the same patient writes nothing and succeeds.
 */
export function deviceLinker(db: Db, audit: AuditLog, now: () => Date): (deviceId: string, patient: string, event: AuditEvent) => LinkedDevice {
  const write = resourceWriter(db);
  const registry = db.prepare<[string], { patient: string | null; status: string }>('SELECT patient, status FROM devices WHERE id = ?');
  const current = db.prepare<[string], { content: string }>("SELECT content FROM resources WHERE type = 'Device' AND id = ?");
  const link = db.prepare('UPDATE devices SET patient = ? WHERE id = ? AND patient IS NULL');
  const enqueue = db.prepare('INSERT INTO outbox (resource_type, resource_id, version_id, device_id, created_at) VALUES (?, ?, ?, ?, ?)');

  const run = db.transaction((deviceId: string, patient: string, event: AuditEvent): LinkedDevice => {
    if (!PATIENT_REFERENCE.test(patient)) throw badRequest('ERR_DEVICE_PATIENT_INVALID', 'Device patient must be a reference Patient/ID', 'Device.patient');
    const row = registry.get(deviceId);
    if (row === undefined) throw notFound(`Device ${deviceId} is not registered`, 'Device.id');
    if (row.status !== 'active') {
      throw FhirError.of('ERR_DEVICE_REVOKED', { code: 'business-rule', text: `Device ${deviceId} is revoked` }, { status: 409 });
    }
    if (row.patient !== null && row.patient !== patient) throw alreadyLinked(deviceId);
    const stored = current.get(deviceId);
    const existing = stored === undefined ? undefined : (JSON.parse(stored.content) as Device);
    const linkedTo = existing?.patient?.reference;
    if (linkedTo !== undefined && linkedTo !== patient) throw alreadyLinked(deviceId);
    if (row.patient === patient && linkedTo === patient) return { deviceId, patient, created: false };
    if (row.patient === null && link.run(patient, deviceId).changes !== 1) throw alreadyLinked(deviceId);
    const at = now();
    const version = write({ ...(existing ?? minimalDevice(deviceId)), patient: { reference: patient } }, at);
    if (version.created) enqueue.run('Device', deviceId, version.versionId, deviceId, at.toISOString());
    audit.append(event);
    return { deviceId, patient, created: true, versionId: version.versionId };
  });
  return (deviceId, patient, event) => run.immediate(deviceId, patient, event);
}

/** What we know of a device that has sent nothing yet; its first reading writes the full resource. */
function minimalDevice(id: string): Device {
  return { resourceType: 'Device', id, identifier: [{ system: DEVICE_SYSTEM, value: id }], status: 'active' };
}
