import type { AuditEvent } from 'fhir/r4';
import { commonParts, DCM, identifiedAgent, queryEntity } from '../../audit/audit-codes';
import type { TableName } from './copied-tables';

export interface CopyAuditInput {
  /** Who ran the copy: an identifier system and value (the CLI's operator, as outbox replay and purge name it). */
  actor: { system: string; value: string };
  /** The SQLite file copied and the PostgreSQL schema written (never the URL: it may hold a password). */
  from: string;
  schema: string;
  /** Rows copied per table. */
  counts: Readonly<Record<TableName, number>>;
  recorded: Date;
}

/**
 * The copy's own entry, the first link the chain gets on PostgreSQL after the copied ones: DICOM 110100
 * "Application Activity", action C (the store is created from the file), with the source, the target schema
 * and the counts as its query entity — the same shape as an outbox replay or purge entry.
 * See: https://hl7.org/fhir/R4/auditevent.html
 * @example buildCopyAuditEvent({ actor, from: 'data/iomt-bridge.db', schema: 'iomt', counts, recorded: new Date() })
 */
export function buildCopyAuditEvent(input: CopyAuditInput): AuditEvent {
  const rows = Object.values(input.counts).reduce((sum, n) => sum + n, 0);
  return {
    resourceType: 'AuditEvent',
    type: { system: DCM, code: '110100', display: 'Application Activity' },
    subtype: [{ system: 'urn:iomt-bridge:store', code: 'copy' }],
    action: 'C',
    ...commonParts({ outcome: 'success', recorded: input.recorded, description: `store copy from SQLite: ${rows} rows into schema ${input.schema}` }),
    agent: [identifiedAgent(input.actor.system, input.actor.value, true)],
    entity: [queryEntity(JSON.stringify({ from: input.from, schema: input.schema, counts: input.counts }))],
  };
}
