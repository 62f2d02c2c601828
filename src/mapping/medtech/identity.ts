import { createHash } from 'node:crypto';
import type { Coding, Identifier } from 'fhir/r4';
import { FhirError } from '../../errors/fhir-error';
import { ERR_PATIENT_MISMATCH, ERR_PATIENT_UNRESOLVED } from '../resolve-subject';
import type { RunIssues } from '../run-issues';

/** MedTech's own code and identifier system (every Observation's code carries `{system, code: typeName}`). */
export const MEDTECH_SYSTEM = 'https://azure.microsoft.com/en-us/services/iomt-fhir-connector/';
/** Device ids read from MedTech messages (`deviceIdExpression`), kept on the bridge's Device. */
export const MEDTECH_DEVICE_ID_SYSTEM = 'urn:iomt-bridge:medtech:device-id';

export const medtechCoding = (name: string): Coding => ({ system: MEDTECH_SYSTEM, code: name, display: name });

/** `yyyyMMddHHmmss` + `Z` of a UTC instant, as in MedTech's identifier. */
export function compactUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
}

/**
 * MedTech's Observation identity: identifier `{patient}.{device}.{type}.{start}.{end}` (or `….{correlationId}`)
 * and resource id = SHA-256 hex of `system_value` (64 characters: a valid FHIR id), so a replay updates rather
 * than duplicates. See: https://hl7.org/fhir/R4/datatypes.html#id
 */
export function medtechIdentity(patientId: string, deviceId: string, type: string, window: { start: number; end: number } | { correlationId: string }): { id: string; identifier: Identifier } {
  const tail = 'correlationId' in window ? window.correlationId : `${compactUtc(window.start)}.${compactUtc(window.end)}`;
  const value = `${patientId}.${deviceId}.${type}.${tail}`;
  return { id: createHash('sha256').update(`${MEDTECH_SYSTEM}_${value}`, 'utf8').digest('hex'), identifier: { system: MEDTECH_SYSTEM, value } };
}

// FHIR id: [A-Za-z0-9\-\.]{1,64}. See: https://hl7.org/fhir/R4/datatypes.html#id
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * Whose reading: the message's patient id (`patientIdExpression`) or the registry link of the sending device.
 * Both present must agree. Neither is an error — MedTech would drop the reading (or, in Create mode, make a
 * patient shell); the bridge refuses it with a reason instead.
 */
export function resolvePatient(fromMessage: string | undefined, registry: string | undefined, where: string, issues: RunIssues): string {
  let payload: string | undefined;
  if (fromMessage !== undefined) {
    const id = fromMessage.startsWith('Patient/') ? fromMessage.slice(8) : fromMessage;
    if (!ID.test(id)) {
      throw FhirError.of(ERR_PATIENT_UNRESOLVED, { code: 'value', text: `patient id "${fromMessage.slice(0, 80)}" is not a FHIR id`, expression: issues.at(where) }, { status: 422 });
    }
    payload = `Patient/${id}`;
  }
  if (payload && registry && payload !== registry) {
    throw FhirError.of(ERR_PATIENT_MISMATCH, { code: 'business-rule', text: `the message names ${payload} but the device is linked to another patient in the registry`, expression: issues.at(where) }, { status: 422 });
  }
  const patient = payload ?? registry;
  if (!patient) {
    throw FhirError.of(ERR_PATIENT_UNRESOLVED, {
      code: 'required', text: 'cannot tell whose reading this is: the message names no patient (patientIdExpression) and the device is not linked to a patient in the registry',
      expression: issues.at(where),
    }, { status: 422 });
  }
  return patient;
}
