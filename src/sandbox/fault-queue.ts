/**
 * Fault injection for the sandbox FHIR endpoint: a queue of misbehaviours consumed one request at a time, so a
 * test can make the EHR answer 503, throttle, time out, reset or cut a response exactly where it wants.
 */

/** What the next matching request gets instead of (or on top of) a normal answer. */
export type FaultBehaviour =
  /** Answer this status (500, 503, 429, 401, …) with an OperationOutcome and nothing processed. */
  | { status: number; retryAfter?: string | number }
  /** Wait, then process and answer normally. */
  | { delayMs: number }
  /** Never answer (the client's timeout fires); the socket is closed when the sandbox stops. */
  | { hang: true }
  /** Destroy the connection before reading the request (ECONNRESET / socket hang up). */
  | { reset: true }
  /** Process (and commit) the request, send the headers and half the body, then destroy the connection. */
  | { partial: true }
  /** Process (and commit) the request, then destroy the connection without answering. */
  | { dropAfterCommit: true };

/** One queued fault: a behaviour, how many requests it applies to, and which requests it matches. */
export type Fault = FaultBehaviour & {
  /** How many matching requests get it (default 1). */
  times?: number;
  /** Only requests with this method (default any). */
  method?: string;
  /** Only requests whose path starts with this (default any, e.g. `/fhir`). */
  path?: string;
};

const BEHAVIOURS = ['status', 'delayMs', 'hang', 'reset', 'partial', 'dropAfterCommit'] as const;
const ALLOWED_KEYS = new Set<string>([...BEHAVIOURS, 'retryAfter', 'times', 'method', 'path']);

/** Checks one fault as received by the control API; returns an error message or undefined. */
export function checkFault(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'a fault is an object';
  const fault = value as Record<string, unknown>;
  const unknown = Object.keys(fault).find((k) => !ALLOWED_KEYS.has(k));
  if (unknown !== undefined) return `unknown fault field '${unknown}'`;
  const present = BEHAVIOURS.filter((b) => fault[b] !== undefined);
  if (present.length !== 1) return `a fault needs exactly one of ${BEHAVIOURS.join(', ')}`;
  if (fault.status !== undefined && !(Number.isInteger(fault.status) && (fault.status as number) >= 400 && (fault.status as number) <= 599)) {
    return 'status must be an integer 400..599';
  }
  if (fault.delayMs !== undefined && !(Number.isInteger(fault.delayMs) && (fault.delayMs as number) >= 0 && (fault.delayMs as number) <= 120_000)) {
    return 'delayMs must be an integer 0..120000';
  }
  for (const flag of ['hang', 'reset', 'partial', 'dropAfterCommit']) {
    if (fault[flag] !== undefined && fault[flag] !== true) return `${flag} must be true`;
  }
  if (fault.times !== undefined && !(Number.isInteger(fault.times) && (fault.times as number) >= 1)) return 'times must be a positive integer';
  return undefined;
}

/** The queue: first matching fault wins; it is removed once used `times` times. */
export class FaultQueue {
  readonly #queue: Array<Fault & { left: number }> = [];

  push(faults: readonly Fault[]): void {
    for (const fault of faults) this.#queue.push({ ...fault, left: fault.times ?? 1 });
  }

  clear(): void {
    this.#queue.length = 0;
  }

  /** What is still queued, with each entry's remaining count as `times`. */
  list(): Fault[] {
    return this.#queue.map(({ left, ...fault }) => ({ ...fault, times: left }));
  }

  /** Takes the fault for this request, if one matches. */
  take(method: string, path: string): FaultBehaviour | undefined {
    const at = this.#queue.findIndex((f) =>
      (f.method === undefined || f.method.toUpperCase() === method) && (f.path === undefined || path.startsWith(f.path)));
    const fault = this.#queue[at];
    if (fault === undefined) return undefined;
    fault.left -= 1;
    if (fault.left === 0) this.#queue.splice(at, 1);
    return fault;
  }
}
