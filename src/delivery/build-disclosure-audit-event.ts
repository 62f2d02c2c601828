import type { AuditEvent, AuditEventEntity } from 'fhir/r4';
import { commonEntities, commonParts, DCM, identifiedAgent, type AuditOutcome } from '../audit/audit-codes';

/** Identifier system of the EHR as an audit agent (its FHIR base URL is the value). */
export const EHR_RECIPIENT_SYSTEM = 'urn:iomt-bridge:ehr';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

export interface DisclosureAuditInput {
  /** The recipient: the EHR's FHIR base URL. */
  recipient: string;
  outcome: AuditOutcome;
  recorded: Date;
  /** Local references pushed (`Observation/abc`). */
  entities: readonly string[];
  /** Bridge patient references (`Patient/ID`) whose data was in the push. */
  patients: readonly string[];
  /** Stable code of the failure, if any, and a short text. */
  errorCode?: string;
  description?: string;
}

/**
 * The accounting of a disclosure: one push of health data to the EHR — recipient, what, when, why
 * (purpose of use: treatment) and outcome. DICOM 110106 "Export" (data leaving this system), action C (create
 * at the recipient); this bridge is the requesting source (110153), the EHR the destination (110152). One query
 * over these (by patient and date) answers a HIPAA §164.528 accounting request.
 * See: https://hl7.org/fhir/R4/auditevent.html, https://profiles.ihe.net/ITI/BALP/
 */
export function buildDisclosureAuditEvent(input: DisclosureAuditInput): AuditEvent {
  const bridge = identifiedAgent('urn:iomt-bridge', 'iomt-bridge', true, { system: DCM, code: '110153', display: 'Source Role ID' });
  const ehr = {
    ...identifiedAgent(EHR_RECIPIENT_SYSTEM, input.recipient, false, { system: DCM, code: '110152', display: 'Destination Role ID' }),
    network: { address: hostOf(input.recipient), type: '1' as const },
  };
  const entity: AuditEventEntity[] = [
    ...commonEntities(input.entities, { outcome: input.outcome, recorded: input.recorded }),
    ...input.patients.flatMap((patient) => commonEntities([], { outcome: input.outcome, recorded: input.recorded, patient })),
  ];
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    type: { system: DCM, code: '110106', display: 'Export' },
    action: 'C',
    purposeOfEvent: [{ coding: [{ system: ACT_REASON, code: 'TREAT', display: 'treatment' }] }],
    ...commonParts({ outcome: input.outcome, recorded: input.recorded, errorCode: input.errorCode, description: input.description }),
    agent: [bridge, ehr],
  };
  if (entity.length > 0) event.entity = entity;
  return event;
}

/** Network access point type 1 = machine name. See: https://hl7.org/fhir/R4/valueset-network-type.html */
function hostOf(url: string): string {
  return URL.canParse(url) ? new URL(url).host : url;
}
