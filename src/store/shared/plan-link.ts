import type { Device } from 'fhir/r4';
import { badRequest, notFound } from '../../errors/fhir-error';
import { alreadyLinked, deviceRevoked, minimalDevice, PATIENT_REFERENCE } from './resource-rules';

/** The registry row of the device being linked, as an adapter read it inside its transaction. */
export interface RegistryRow {
  patient: string | null;
  status: string;
}

/** Nothing to write (already linked to this patient), or the Device version to write and whether the registry row changes. */
export type LinkPlan = { write: false } | { write: true; linkRegistry: boolean; device: Device };

/**
 * The decisions of {@link Store.linkDevice} (pure): refuse an unknown or revoked device, a device linked to
 * another patient (in the registry or in its stored resource), a malformed patient; otherwise the new Device
 * version carries `patient` (a minimal one when the device has sent nothing yet). The adapter then updates
 * the registry row only while it has no patient, so two clinicians cannot both win.
 */
export function planLink(deviceId: string, patient: string, row: RegistryRow | undefined, existing: Device | undefined): LinkPlan {
  if (!PATIENT_REFERENCE.test(patient)) throw badRequest('ERR_DEVICE_PATIENT_INVALID', 'Device patient must be a reference Patient/ID', 'Device.patient');
  if (row === undefined) throw notFound(`Device ${deviceId} is not registered`, 'Device.id');
  if (row.status !== 'active') throw deviceRevoked(deviceId);
  if (row.patient !== null && row.patient !== patient) throw alreadyLinked(deviceId);
  const linkedTo = existing?.patient?.reference;
  if (linkedTo !== undefined && linkedTo !== patient) throw alreadyLinked(deviceId);
  if (row.patient === patient && linkedTo === patient) return { write: false };
  return { write: true, linkRegistry: row.patient === null, device: { ...(existing ?? minimalDevice(deviceId)), patient: { reference: patient } } };
}
