import type { AuditEvent, AuditEventAgent, AuditEventEntity, Coding } from 'fhir/r4';

/**
 * Code systems and the small AuditEvent parts both builders share.
 * See: https://hl7.org/fhir/R4/auditevent.html and IHE BALP (Basic Audit Log Patterns)
 * https://profiles.ihe.net/ITI/BALP/
 */

export const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
export const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
export const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const BALP_ENTITY_TYPE = 'http://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';

/** Identifier systems for agents that are not FHIR resources. */
export const DEVICE_ID_SYSTEM = 'urn:iomt-bridge:device';
export const CLIENT_ID_SYSTEM = 'urn:iomt-bridge:client';
export const USER_ID_SYSTEM = 'urn:iomt-bridge:user';

/**
 * `success` → 0; `failure` (the request was refused: bad input, bad credential) → 4 "minor failure";
 * `error` (the system failed to do what was asked) → 8 "serious failure".
 * See: https://hl7.org/fhir/R4/valueset-audit-event-outcome.html
 */
export type AuditOutcome = 'success' | 'failure' | 'error';
const OUTCOME_CODE: Readonly<Record<AuditOutcome, string>> = { success: '0', failure: '4', error: '8' };

/** What every event carries besides its type, action and agents. */
export interface CommonAuditInput {
  outcome: AuditOutcome;
  recorded: Date;
  /** X-Request-Id of the HTTP request (or the MQTT packet id), to join the log lines. */
  requestId?: string;
  /** Peer IP address. */
  sourceAddress?: string;
  /** `Patient/ID` the data belongs to, so "who touched patient X" is one search. */
  patient?: string;
  description?: string;
  /** Stable FhirError code when the outcome is not success. */
  errorCode?: string;
  /** Name of this installation in `source.observer`; default `iomt-bridge`. */
  observer?: string;
}

export function commonParts(input: CommonAuditInput): Pick<AuditEvent, 'recorded' | 'outcome' | 'outcomeDesc' | 'source'> {
  const parts: Pick<AuditEvent, 'recorded' | 'outcome' | 'outcomeDesc' | 'source'> = {
    recorded: input.recorded.toISOString(),
    outcome: OUTCOME_CODE[input.outcome],
    source: {
      observer: { display: input.observer ?? 'iomt-bridge' },
      type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }],
    },
  };
  const desc = [input.errorCode, input.description].filter((s) => s !== undefined && s !== '').join(': ');
  if (desc !== '') parts.outcomeDesc = desc;
  return parts;
}

/** `network` of the requesting agent: type 2 = IP address. */
export function networkOf(sourceAddress: string | undefined): Pick<AuditEventAgent, 'network'> {
  return sourceAddress === undefined ? {} : { network: { address: sourceAddress, type: '2' } };
}

export function identifiedAgent(system: string, value: string, requestor: boolean, type?: Coding): AuditEventAgent {
  const agent: AuditEventAgent = { who: { identifier: { system, value } }, requestor };
  if (type !== undefined) agent.type = { coding: [type] };
  return agent;
}

/** Entities shared by both builders: the resources (role 4 "Domain Resource"), patient, request id. */
export function commonEntities(references: readonly string[], input: CommonAuditInput): AuditEventEntity[] {
  const entities: AuditEventEntity[] = references.map((reference) => ({
    what: { reference },
    type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
    role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
  }));
  if (input.patient !== undefined) {
    entities.push({
      what: { reference: input.patient },
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
    });
  }
  if (input.requestId !== undefined) {
    // BALP records the X-Request-Id as its own entity so a log line and an audit entry can be joined.
    entities.push({
      what: { identifier: { value: input.requestId } },
      type: { system: BALP_ENTITY_TYPE, code: 'XrequestId', display: 'XrequestId' },
    });
  }
  return entities;
}

/** A query entity (role 24 "Query"); R4 `entity.query` is base64Binary. */
export function queryEntity(query: string): AuditEventEntity {
  return {
    type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
    role: { system: OBJECT_ROLE, code: '24', display: 'Query' },
    query: Buffer.from(query, 'utf8').toString('base64'),
  };
}
