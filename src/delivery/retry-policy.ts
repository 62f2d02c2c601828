/** Retry timing: exponential backoff with full jitter, and the EHR's `Retry-After`. */

/** The most we wait because an EHR said so: a hostile or broken `Retry-After: 99999999` must not park delivery for years. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** In [0, 1); `Math.random` by default. */
  random?: () => number;
}

/**
 * Delay before attempt `attempt + 1` after `attempt` failures (1-based): uniform in [0, min(max, base·2^(attempt-1))).
 * "Full jitter" spreads retries of many clients so a recovering EHR is not hit by a synchronized wave.
 * See: https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  return Math.floor((options.random ?? Math.random)() * ceiling);
}

/**
 * `Retry-After` as milliseconds from `nowMs`: delta-seconds or an HTTP-date, capped at {@link MAX_RETRY_AFTER_MS};
 * undefined when absent or unreadable. See: https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // IMF-fixdate only (RFC 9110 §5.6.7): Date.parse alone would take "-1" or "2" as years.
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(date - nowMs, 0), MAX_RETRY_AFTER_MS);
}

/** The wait before the next attempt: the backoff, but never less than what the EHR asked for. */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, options: BackoffOptions): number {
  return Math.max(backoffDelay(attempt, options), retryAfterMs ?? 0);
}
