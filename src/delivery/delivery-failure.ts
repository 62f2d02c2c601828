/**
 * Why an attempt to reach the EHR failed, with a stable code (tests and operators switch on it).
 *
 * `kind` decides what happens to the entries:
 * - `retry`: the EHR or the network failed (5xx, 429, 408, timeout, reset, cut answer, malformed answer,
 *   refused credentials) — the entries stay pending and are tried again later; these also feed the circuit breaker.
 * - `reject`: the EHR refused this content (other 4xx) — retrying cannot help, the entries go to the dead letter.
 */
export type FailureKind = 'retry' | 'reject';

export type DeliveryErrorCode =
  | 'ERR_EHR_HTTP_STATUS'
  | 'ERR_EHR_REJECTED'
  | 'ERR_EHR_TIMEOUT'
  | 'ERR_EHR_NETWORK'
  | 'ERR_EHR_REDIRECT'
  | 'ERR_EHR_RESPONSE_TOO_LARGE'
  | 'ERR_EHR_BAD_RESPONSE'
  | 'ERR_EHR_URL_OUTSIDE_BASE'
  | 'ERR_EHR_UNAUTHORIZED'
  | 'ERR_EHR_TOKEN'
  | 'ERR_EHR_DISCOVERY'
  | 'ERR_EHR_PATIENT_UNRESOLVED'
  | 'ERR_EHR_RETRIES_EXHAUSTED'
  | 'ERR_EHR_UNDELIVERABLE';

export class DeliveryFailure extends Error {
  override readonly name = 'DeliveryFailure';

  constructor(
    readonly code: DeliveryErrorCode,
    message: string,
    readonly kind: FailureKind,
    readonly details: { status?: number; response?: string; retryAfterMs?: number } = {},
  ) {
    super(message);
  }

  /** `CODE: message`, as kept in the outbox's `last_error`. */
  get summary(): string {
    return `${this.code}: ${this.message}`;
  }
}

export const isDeliveryFailure = (e: unknown): e is DeliveryFailure => e instanceof DeliveryFailure;
