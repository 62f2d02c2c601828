import type { Device, Observation } from 'fhir/r4';
import { badRequest, FhirError } from '../../errors/fhir-error';
import type { NewDevice } from '../port';

/**
 * The rules every store adapter applies to what it is asked to write (pure: no SQL). Keeping them in one place
 * is what makes the SQLite and PostgreSQL adapters refuse the same input with the same codes.
 */

/** FHIR `id` (R4): the registry id is used in references and topics, so it must be one. See: https://hl7.org/fhir/R4/datatypes.html#id */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
export const PATIENT_REFERENCE = /^Patient\/[A-Za-z0-9\-.]{1,64}$/;
/** A certificate thumbprint: base64url (no padding) of a SHA-256 hash. */
export const CERT_THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;
/** The identifier system our mappings give every Device (see src/mapping/compile-device.ts). */
export const DEVICE_SYSTEM = 'urn:iomt-bridge:device';

export type IngestResource = Device | Observation;

/** Only Device and Observation, each with a deterministic FHIR id. */
export function checkResource(resource: IngestResource): void {
  const type = (resource as { resourceType?: unknown }).resourceType;
  if (type !== 'Device' && type !== 'Observation') {
    throw badRequest('ERR_RESOURCE_TYPE_UNSUPPORTED', `The store accepts Device and Observation, not ${String(type)}`, 'resourceType');
  }
  // Ids are deterministic (mapping); without one a resend would make a second resource.
  if (typeof resource.id !== 'string' || !FHIR_ID.test(resource.id)) {
    throw badRequest('ERR_RESOURCE_ID_INVALID', `${type}.id must be a FHIR id ([A-Za-z0-9-.]{1,64})`, `${type}.id`);
  }
}

export function checkNewDevice(device: NewDevice): void {
  if (!FHIR_ID.test(device.id)) throw badRequest('ERR_DEVICE_ID_INVALID', 'Device id must be a FHIR id ([A-Za-z0-9-.]{1,64})', 'Device.id');
  if (device.patient !== undefined && !PATIENT_REFERENCE.test(device.patient)) {
    throw badRequest('ERR_DEVICE_PATIENT_INVALID', 'Device patient must be a reference Patient/ID', 'Device.patient');
  }
  if (device.publicJwk === undefined && device.certThumbprint === undefined) {
    throw badRequest('ERR_DEVICE_CREDENTIAL_MISSING', 'A device needs a public key (JWK) or a certificate thumbprint, or both');
  }
  if (device.publicJwk !== undefined && (typeof device.publicJwk !== 'object' || device.publicJwk === null || Array.isArray(device.publicJwk))) {
    throw badRequest('ERR_DEVICE_KEY_INVALID', 'Device public key must be a JWK object');
  }
  if (device.certThumbprint !== undefined && !CERT_THUMBPRINT.test(device.certThumbprint)) {
    throw badRequest('ERR_DEVICE_CERT_INVALID', 'The certificate thumbprint must be the base64url SHA-256 of its DER (43 characters)');
  }
}

/** Re-provisioning an existing id must not swap its key (security case 26). */
export function deviceExists(id: string): FhirError {
  return FhirError.of('ERR_DEVICE_EXISTS', { code: 'duplicate', text: `Device ${id} is already registered` });
}

/** One certificate identifies one device: registering it for a second one is refused. */
export function certificateInUse(): FhirError {
  return FhirError.of('ERR_DEVICE_CERT_IN_USE', { code: 'duplicate', text: 'This certificate is already registered for another device' });
}

export function jtiReplayed(): FhirError {
  // RFC 7519 §4.1.7: a jti may be used to prevent replay; a second commit with it is a replay.
  return FhirError.of(
    'ERR_JTI_REPLAYED',
    { code: 'conflict', text: 'This device token (jti) has already been used' },
    { status: 409 },
  );
}

export function alreadyLinked(id: string): FhirError {
  return FhirError.of('ERR_DEVICE_ALREADY_LINKED', { code: 'conflict', text: `Device ${id} is already linked to a patient`, expression: 'Device.patient' });
}

export function deviceRevoked(id: string): FhirError {
  return FhirError.of('ERR_DEVICE_REVOKED', { code: 'business-rule', text: `Device ${id} is revoked` }, { status: 409 });
}

/** What we know of a device that has sent nothing yet; its first reading writes the full resource. */
export function minimalDevice(id: string): Device {
  return { resourceType: 'Device', id, identifier: [{ system: DEVICE_SYSTEM, value: id }], status: 'active' };
}
