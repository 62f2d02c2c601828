import type { AuditEvent, AuditEventAgent } from 'fhir/r4';
import {
  AUDIT_EVENT_TYPE,
  CLIENT_ID_SYSTEM,
  commonEntities,
  commonParts,
  identifiedAgent,
  networkOf,
  queryEntity,
  RESTFUL_INTERACTION,
  USER_ID_SYSTEM,
  type CommonAuditInput,
} from './audit-codes';

/** FHIR RESTful interactions an API read can be. See: https://hl7.org/fhir/R4/codesystem-restful-interaction.html */
export type AccessInteraction = 'read' | 'vread' | 'history-instance' | 'search-type' | 'search-system' | 'operation';

export interface AccessAuditInput extends CommonAuditInput {
  /** The SMART client (`client_id` / `azp`). */
  clientId: string;
  /** The user (`sub` / fhirUser) acting through the client, if any. */
  user?: string;
  interaction: AccessInteraction;
  /** References returned or asked for (`Observation/abc`). */
  entities?: string[];
  /** The query string of a search (after `?`), recorded as the query entity. Never include tokens. */
  query?: string;
}

/**
 * AuditEvent for an API read or search, following IHE BALP: type `rest`, subtype the interaction,
 * action `R` for reads and `E` (execute) for searches and operations.
 * The user, when there is one, is the requestor; otherwise the client is.
 * See: https://hl7.org/fhir/R4/auditevent.html, https://profiles.ihe.net/ITI/BALP/
 *
 * @example
 * buildAccessAuditEvent({ clientId: 'ehr-app', user: 'Practitioner/7', interaction: 'search-type',
 *   outcome: 'success', recorded: new Date(), query: 'subject=Patient/1&code=8867-4' });
 */
export function buildAccessAuditEvent(input: AccessAuditInput): AuditEvent {
  const searching = input.interaction.startsWith('search') || input.interaction === 'operation';
  const client = identifiedAgent(CLIENT_ID_SYSTEM, input.clientId, input.user === undefined);
  const agents: AuditEventAgent[] = [client];
  if (input.user === undefined) Object.assign(client, networkOf(input.sourceAddress));
  else agents.push({ ...identifiedAgent(USER_ID_SYSTEM, input.user, true), ...networkOf(input.sourceAddress) });

  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    type: { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'Restful Operation' },
    subtype: [{ system: RESTFUL_INTERACTION, code: input.interaction }],
    action: searching ? 'E' : 'R',
    ...commonParts(input),
    agent: agents,
  };
  const entity = commonEntities(input.entities ?? [], input);
  if (input.query !== undefined) entity.push(queryEntity(input.query));
  if (entity.length > 0) event.entity = entity;
  return event;
}
