import { createHash } from 'node:crypto';
import type { Identifier } from 'fhir/r4';

/** Identifier system of the deterministic Observation identifier (DESIGN: "Identifiers"). */
export const OBSERVATION_IDENTIFIER_SYSTEM = 'urn:iomt-bridge:observation';

/**
 * The identity of one reading: `<deviceId>/<messageId or UTC timestamp>/<code>`. A resend or retry yields the
 * same value, so conditional create (`identifier=…`) never makes a second resource here or at the EHR.
 * See: https://hl7.org/fhir/R4/http.html#ccreate
 */
export function observationIdentifier(deviceId: string, key: string, code: string): Identifier {
  return { system: OBSERVATION_IDENTIFIER_SYSTEM, value: `${deviceId}/${key}/${code}` };
}

/** Observation.id: the first 40 hex characters of sha256(identifier value) — a valid FHIR id (≤ 64 chars). */
export function observationId(identifierValue: string): string {
  return createHash('sha256').update(identifierValue, 'utf8').digest('hex').slice(0, 40);
}
