import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ConfigProblem } from './config-error';
import { VARIABLE_NAMES } from './config-variables';

/** A raw value and the folder its relative paths are relative to. */
export interface RawValue {
  value: unknown;
  baseDir: string;
}

/**
 * Gathers raw values: the optional JSON file named by IOMT_CONFIG_FILE first, then the environment over it
 * (12-factor: the environment wins). Empty environment values count as unset; so do `null` values in the file.
 * Unknown `IOMT_*` names are problems: a typo would otherwise silently leave a default in force.
 */
export function readConfigSources(
  env: NodeJS.ProcessEnv,
  cwd: string,
  problems: ConfigProblem[],
): { values: Map<string, RawValue>; configFile?: string } {
  const fromEnv = new Map<string, RawValue>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('IOMT_')) continue;
    if (!VARIABLE_NAMES.has(name)) problems.push({ variable: name, reason: unknownReason(name) });
    else if (value !== undefined && value !== '') fromEnv.set(name, { value, baseDir: cwd });
  }
  const fileName = fromEnv.get('IOMT_CONFIG_FILE')?.value as string | undefined;
  if (fileName === undefined) return { values: fromEnv };
  const configFile = resolve(cwd, fileName);
  const values = readConfigFile(configFile, problems);
  for (const [name, value] of fromEnv) values.set(name, value);
  return { values, configFile };
}

function readConfigFile(file: string, problems: ConfigProblem[]): Map<string, RawValue> {
  const values = new Map<string, RawValue>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    problems.push({ variable: 'IOMT_CONFIG_FILE', reason: `cannot read ${file}: ${(e as Error).message}` });
    return values;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push({ variable: 'IOMT_CONFIG_FILE', reason: `${file} must hold a JSON object` });
    return values;
  }
  for (const [name, value] of Object.entries(parsed)) {
    if (name === 'IOMT_CONFIG_FILE') {
      problems.push({ variable: name, reason: `cannot be set inside ${file}` });
    } else if (!VARIABLE_NAMES.has(name)) {
      problems.push({ variable: name, reason: `${unknownReason(name)} (in ${file})` });
    } else if (value !== null) {
      values.set(name, { value, baseDir: dirname(file) });
    }
  }
  return values;
}

function unknownReason(name: string): string {
  const near = [...VARIABLE_NAMES].find((known) => distance(known, name) <= 2);
  return near === undefined ? 'unknown variable' : `unknown variable (did you mean ${near}?)`;
}

/** Levenshtein distance, for the "did you mean" hint. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
