import type { AuditEvent, OperationOutcome } from 'fhir/r4';
import { FhirError } from '../../errors/fhir-error';
import type { ClaimOutboxOptions, DeliveryOutcome, IngestCommit } from '../port';

/**
 * The messages between the store and its writer thread (see threaded-writer.ts). Only plain data crosses:
 * worker_threads copies messages with the structured clone algorithm, which keeps no class or function.
 * See: https://nodejs.org/docs/latest-v20.x/api/worker_threads.html#portpostmessagevalue-transferlist
 */
export type WriterCall =
  | { op: 'commitIngest'; commit: IngestCommit; nowMs: number }
  | { op: 'appendAudit'; event: AuditEvent }
  | { op: 'claimOutbox'; options: ClaimOutboxOptions }
  | { op: 'recordDelivery'; outcome: DeliveryOutcome };

export type WriterRequest = WriterCall & { id: number };

export type WriterResponse =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError };

/** An error as plain data: a FhirError keeps its code, status, headers and OperationOutcome. */
export type WireError =
  | { kind: 'fhir'; code: string; outcome: OperationOutcome; status: number; headers: Record<string, string> }
  | { kind: 'error'; message: string; code?: string };

export function toWire(error: unknown): WireError {
  if (error instanceof FhirError) {
    return { kind: 'fhir', code: error.code, outcome: error.outcome, status: error.status, headers: { ...error.headers } };
  }
  const e = error as { message?: unknown; code?: unknown };
  const wire: WireError = { kind: 'error', message: typeof e?.message === 'string' ? e.message : String(error) };
  if (typeof e?.code === 'string') wire.code = e.code; // SQLite's own code, e.g. SQLITE_FULL
  return wire;
}

export function fromWire(wire: WireError): Error {
  if (wire.kind === 'fhir') return new FhirError(wire.code, wire.outcome, { status: wire.status, headers: wire.headers });
  return Object.assign(new Error(wire.message), wire.code === undefined ? {} : { code: wire.code });
}
