import type { ConfigProblem } from './config-error';

/** The validated variables: the value given, or `fallback` when the variable is not set. */
export const valueOr = (values: ReadonlyMap<string, unknown>) => <T>(name: string, fallback: T): T =>
  (values.has(name) ? (values.get(name) as T) : fallback);

/**
 * Variables that only mean something with another setting (`condition`, e.g. `IOMT_MQTT=external`): given
 * without it, each is a problem — a setting silently ignored is a mistake the operator would not notice.
 */
export function refuseUnused(values: ReadonlyMap<string, unknown>, names: readonly string[], condition: string, problems: ConfigProblem[]): void {
  for (const name of names) {
    if (values.has(name)) problems.push({ variable: name, reason: `is only used with ${condition}` });
  }
}
