/** closed: deliver; open: wait; half-open: one probe is out, the rest wait for its result. */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  threshold: number;
  /** First open period; doubles after each failed probe, up to `maxCooldownMs`. */
  cooldownMs: number;
  maxCooldownMs: number;
  now: () => number;
}

export interface CircuitBreaker {
  readonly state: BreakerState;
  /**
   * May a batch go out now? In half-open state exactly one caller gets `true` (the probe) until it reports.
   * A caller that got `true` but had nothing to send calls {@link CircuitBreaker.release}.
   */
  tryAcquire(): boolean;
  release(): void;
  success(): void;
  failure(): void;
  /** Holds every attempt until `untilMs` (an EHR's `Retry-After` on 429/503 concerns the whole client). */
  pauseUntil(untilMs: number): void;
  /** Epoch ms from which {@link CircuitBreaker.tryAcquire} may say yes again (now when it already may). */
  readyAt(): number;
}

/**
 * The circuit breaker in front of the EHR: while the EHR is down, delivery pauses instead of hammering it
 * (and burning every entry's attempts); after the cool-down one probe batch goes out, and its result closes
 * the circuit or reopens it for longer. See: https://martinfowler.com/bliki/CircuitBreaker.html
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  let state: BreakerState = 'closed';
  let failures = 0;
  let openUntil = 0;
  let cooldown = options.cooldownMs;
  let pausedUntil = 0;
  let probeOut = false;
  const open = (): void => {
    state = 'open';
    openUntil = options.now() + cooldown;
    probeOut = false;
  };
  return {
    get state() {
      return state;
    },
    tryAcquire() {
      const now = options.now();
      if (now < pausedUntil) return false;
      if (state === 'closed') return true;
      if (state === 'open' && now >= openUntil) state = 'half-open';
      if (state !== 'half-open' || probeOut) return false;
      probeOut = true;
      return true;
    },
    release() {
      probeOut = false;
    },
    success() {
      state = 'closed';
      failures = 0;
      cooldown = options.cooldownMs;
      probeOut = false;
    },
    failure() {
      failures += 1;
      if (state === 'half-open') {
        cooldown = Math.min(cooldown * 2, options.maxCooldownMs);
        open();
      } else if (state === 'closed' && failures >= options.threshold) {
        open();
      }
    },
    pauseUntil(untilMs) {
      pausedUntil = Math.max(pausedUntil, untilMs);
    },
    readyAt() {
      const gate = state === 'open' ? openUntil : 0;
      return Math.max(gate, pausedUntil, options.now());
    },
  };
}
