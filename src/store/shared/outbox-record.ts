import type { OutboxRecord, OutboxStatus, OutboxSummary } from '../port';

/** An outbox row as both adapters select it (retry times in epoch ms, other times ISO strings). */
export interface OutboxDbRow {
  seq: number;
  resource_type: string;
  resource_id: string;
  version_id: string;
  device_id: string;
  created_at: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  ehr_response: string | null;
  delivered_at: string | null;
  ehr_reference: string | null;
}

/** The longest EHR answer kept with an entry: enough to read the OperationOutcome, bounded against a hostile EHR. */
export const MAX_KEPT_RESPONSE_CHARS = 16_384;

export function outboxRecordOf(row: OutboxDbRow): OutboxRecord {
  const record: OutboxRecord = {
    seq: row.seq, resourceType: row.resource_type, resourceId: row.resource_id, versionId: row.version_id,
    deviceId: row.device_id, createdAt: row.created_at, status: row.status as OutboxStatus, attempts: row.attempts,
  };
  if (row.status === 'pending' && row.next_attempt_at > 0) record.nextAttemptAt = new Date(row.next_attempt_at).toISOString();
  if (row.last_error !== null) record.lastError = row.last_error;
  if (row.ehr_response !== null) record.ehrResponse = row.ehr_response;
  if (row.delivered_at !== null) record.deliveredAt = row.delivered_at;
  if (row.ehr_reference !== null) record.ehrReference = row.ehr_reference;
  return record;
}

export function keptResponse(response: string | undefined): string | null {
  return response === undefined ? null : response.slice(0, MAX_KEPT_RESPONSE_CHARS);
}

/** One row per status of the summary query. */
export interface SummaryRow {
  status: string;
  n: number;
  leased: number | null;
  oldest: string | null;
}

export function summarise(rows: readonly SummaryRow[]): OutboxSummary {
  const out: OutboxSummary = { pending: 0, inFlight: 0, delivered: 0, dead: 0 };
  for (const row of rows) {
    if (row.status === 'pending') {
      out.pending = row.n;
      out.inFlight = row.leased ?? 0;
      if (row.oldest !== null) out.oldestPendingAt = row.oldest;
    } else if (row.status === 'delivered' || row.status === 'dead') {
      out[row.status] = row.n;
    }
  }
  return out;
}

/** In-process notification of new outbox work (a commit of this process added or re-queued entries). */
export interface OutboxSignal {
  notify(): void;
  subscribe(listener: () => void): () => void;
}

/** A listener that throws is the listener's bug: it must not fail the commit that notified it. */
export function outboxSignal(): OutboxSignal {
  const listeners = new Set<() => void>();
  return {
    notify() {
      for (const listener of listeners) {
        try {
          listener();
        } catch {
          // the listener's own failure; the commit already succeeded
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
