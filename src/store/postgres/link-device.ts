import type { AuditEvent, Device } from 'fhir/r4';
import type { LinkedDevice } from '../port';
import { planLink, type RegistryRow } from '../shared/plan-link';
import { alreadyLinked } from '../shared/resource-rules';
import { appendToChain } from './audit-chain';
import type { Pool } from './connect-pool';
import { runTransaction } from './run-transaction';
import { writeResource } from './write-resource';

/**
 * Links an unassigned device to a patient in ONE transaction: the registry row (locked `FOR UPDATE` while
 * the decision is made, and updated only while it has no patient: two clinicians cannot both win; the Device
 * resource row is locked too, so a concurrent ingest of that Device waits rather than being overwritten), a new
 * version of the Device resource carrying `patient`, its outbox row, and the audit entry.
 */
export function deviceLinker(pool: Pool, now: () => Date): (deviceId: string, patient: string, event: AuditEvent) => Promise<LinkedDevice> {
  return (deviceId, patient, event) => runTransaction(pool, async (client) => {
    const row = (await client.query<RegistryRow>('SELECT patient, status FROM devices WHERE id = $1 FOR UPDATE', [deviceId])).rows[0];
    const stored = (await client.query<{ content: string }>("SELECT content FROM resources WHERE type = 'Device' AND id = $1 FOR UPDATE", [deviceId])).rows[0];
    const existing = stored === undefined ? undefined : (JSON.parse(stored.content) as Device);
    const plan = planLink(deviceId, patient, row, existing);
    if (!plan.write) return { deviceId, patient, created: false };
    if (plan.linkRegistry) {
      const linked = await client.query('UPDATE devices SET patient = $1 WHERE id = $2 AND patient IS NULL', [patient, deviceId]);
      if (linked.rowCount !== 1) throw alreadyLinked(deviceId);
    }
    const at = now();
    const version = await writeResource(client, plan.device, at);
    await appendToChain(client, [{ event, queue: { deviceId, createdAt: at.toISOString(), versions: version.created ? [version] : [] } }]);
    return { deviceId, patient, created: true, versionId: version.versionId };
  });
}
