import type { AuditEvent, Device } from 'fhir/r4';
import type { LinkedDevice } from '../port';
import { planLink } from '../shared/plan-link';
import { alreadyLinked } from '../shared/resource-rules';
import type { AuditLog } from './audit-log';
import type { Db } from './open-database';
import { resourceWriter } from './write-resource';

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
    const stored = current.get(deviceId);
    const existing = stored === undefined ? undefined : (JSON.parse(stored.content) as Device);
    const plan = planLink(deviceId, patient, registry.get(deviceId), existing);
    if (!plan.write) return { deviceId, patient, created: false };
    if (plan.linkRegistry && link.run(patient, deviceId).changes !== 1) throw alreadyLinked(deviceId);
    const at = now();
    const version = write(plan.device, at);
    if (version.created) enqueue.run('Device', deviceId, version.versionId, deviceId, at.toISOString());
    audit.append(event);
    return { deviceId, patient, created: true, versionId: version.versionId };
  });
  return (deviceId, patient, event) => run.immediate(deviceId, patient, event);
}
