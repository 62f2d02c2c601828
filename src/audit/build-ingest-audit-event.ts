import type { AuditEvent } from 'fhir/r4';
import {
  commonEntities,
  commonParts,
  DCM,
  DEVICE_ID_SYSTEM,
  identifiedAgent,
  networkOf,
  type CommonAuditInput,
} from './audit-codes';

export interface IngestAuditInput extends CommonAuditInput {
  /** Registry id of the authenticated device (from its credential, never from the body). */
  deviceId: string;
  /** References written (`Observation/abc`), or those that would have been. */
  entities?: string[];
}

/**
 * AuditEvent for one ingest request (HTTP or MQTT), accepted or refused.
 *
 * Type DICOM 110107 "Import": the readings are data brought into the system from a device, not a FHIR
 * RESTful interaction, so the `rest` type would misdescribe it. Action `C` (create). The device is the
 * requesting agent (DICOM 110153 "Source Role ID"), this bridge the destination (110152).
 * See: https://hl7.org/fhir/R4/auditevent.html,
 * https://dicom.nema.org/medical/dicom/current/output/chtml/part15/sect_A.5.3.html
 *
 * @example
 * buildIngestAuditEvent({ deviceId: 'bp-01', outcome: 'success', recorded: new Date(),
 *   entities: ['Observation/bp-01-123-8480-6'] });
 */
export function buildIngestAuditEvent(input: IngestAuditInput): AuditEvent {
  const device = {
    ...identifiedAgent(DEVICE_ID_SYSTEM, input.deviceId, true, { system: DCM, code: '110153', display: 'Source Role ID' }),
    ...networkOf(input.sourceAddress),
  };
  const bridge = identifiedAgent('urn:iomt-bridge', input.observer ?? 'iomt-bridge', false, {
    system: DCM,
    code: '110152',
    display: 'Destination Role ID',
  });
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    type: { system: DCM, code: '110107', display: 'Import' },
    action: 'C',
    ...commonParts(input),
    agent: [device, bridge],
  };
  const entity = commonEntities(input.entities ?? [], input);
  if (entity.length > 0) event.entity = entity;
  return event;
}
