import type { OperationOutcome } from 'fhir/r4';
import type { IngestSummary } from '../ingest';

/**
 * What the bridge publishes on `<prefix>/devices/{id}/outcomes` for each ingest message: the HTTP status and the
 * very JSON the HTTP route answers (the summary, or the OperationOutcome with FHIRPath expressions), plus what
 * correlates it with the message sent.
 */
export interface OutcomeMessage {
  /** The topic the message was published on. */
  topic: string;
  /** The PUBLISH packet identifier as the bridge received it (its own on an external broker). */
  messageId?: number;
  /** The token's `jti` as sent (unverified when the token was refused). */
  jti?: string;
  /** The audit entry's request id. */
  requestId: string;
  /** What HTTP would have answered: 202, or the refusal's status. */
  status: number;
  /** The refusal's stable code (`ERR_DEVICE_TOKEN_EXPIRED`…). */
  code?: string;
  response: IngestSummary | OperationOutcome;
}

/** The payload bytes of an outcome message (pure). */
export const encodeOutcome = (message: OutcomeMessage): Buffer => Buffer.from(JSON.stringify(message), 'utf8');
