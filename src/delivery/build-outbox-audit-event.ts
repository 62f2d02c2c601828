import type { AuditEvent } from 'fhir/r4';
import { commonParts, DCM, identifiedAgent, queryEntity } from '../audit/audit-codes';

export interface OutboxAuditInput {
  /** `replay` or `purge`, with its parameters, as written in the entry's query. */
  action: 'replay' | 'purge';
  parameters: Record<string, unknown>;
  /** Who asked: an identifier system (client or operator) and value. */
  actor: { system: string; value: string };
  /** Entries affected. */
  count: number;
  recorded: Date;
}

/**
 * An operator action on the outbox (replay re-sends data to the EHR, purge deletes delivery records): DICOM
 * 110100 "Application Activity", action U (the queue is updated), with the parameters as a query entity.
 * See: https://hl7.org/fhir/R4/auditevent.html
 * @example buildOutboxAuditEvent({ action: 'replay', parameters: { dead: true }, actor, count: 3, recorded: new Date() })
 */
export function buildOutboxAuditEvent(input: OutboxAuditInput): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    type: { system: DCM, code: '110100', display: 'Application Activity' },
    subtype: [{ system: 'urn:iomt-bridge:outbox', code: input.action }],
    action: 'U',
    ...commonParts({ outcome: 'success', recorded: input.recorded, description: `outbox ${input.action}: ${input.count} entries` }),
    agent: [identifiedAgent(input.actor.system, input.actor.value, true)],
    entity: [queryEntity(JSON.stringify(input.parameters))],
  };
}
