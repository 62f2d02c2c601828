/** One problem found in the configuration: the variable it is about and why. */
export interface ConfigProblem {
  variable: string;
  reason: string;
}

/**
 * A configuration mistake. Thrown at start-up (never per request): the process should print it and stop.
 * The message lists every problem as `VARIABLE: reason`, e.g. `IOMT_PORT: must be <= 65535`.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Stable code for callers and tests. */
  readonly code = 'ERR_CONFIG_INVALID';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.reason}`).join('\n')}`);
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
  }
}
