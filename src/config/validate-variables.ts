import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigProblem } from './config-error';
import { CONFIG_VARIABLES, type ConfigVariable } from './config-variables';
import type { RawValue } from './read-config-sources';

let compiled: ValidateFunction | undefined;

/** The ajv validator of all variables, compiled once (schemas are static). */
function validator(): ValidateFunction {
  if (compiled === undefined) {
    const properties = Object.fromEntries(CONFIG_VARIABLES.map((v) => [v.name, v.schema]));
    // coerceTypes: environment values are strings; `"8080"` becomes 8080 before the range checks.
    compiled = new Ajv({ coerceTypes: true, allErrors: true, verbose: true }).compile({ type: 'object', properties });
  }
  return compiled;
}

/**
 * Validates raw values against each variable's schema and returns them typed (numbers coerced, lists split,
 * paths absolute). Problems are pushed, each naming its variable.
 */
export function validateVariables(raw: ReadonlyMap<string, RawValue>, problems: ConfigProblem[]): Map<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const variable of CONFIG_VARIABLES) {
    const entry = raw.get(variable.name);
    if (entry === undefined) continue;
    const reason = strictnessProblem(variable, entry.value);
    if (reason !== undefined) problems.push({ variable: variable.name, reason });
    else data[variable.name] = variable.kind === 'list' ? splitList(entry.value) : entry.value;
  }
  const validate = validator();
  if (!validate(data)) problems.push(...(validate.errors ?? []).map(problemOf));
  const values = new Map<string, unknown>();
  for (const variable of CONFIG_VARIABLES) {
    const value = data[variable.name];
    if (value === undefined) continue;
    const baseDir = raw.get(variable.name)?.baseDir ?? '/';
    values.set(variable.name, variable.kind === 'path' ? absolute(String(value), baseDir) : value);
  }
  return values;
}

/** ajv would coerce `"0x1F"`, `"1e3"` or `" 8 "` to numbers; an integer variable takes plain digits only. */
function strictnessProblem(variable: ConfigVariable, value: unknown): string | undefined {
  if (variable.schema.type === 'integer' && typeof value === 'string' && !/^-?\d+$/.test(value)) {
    return `must be an integer, got '${value}'`;
  }
  return undefined;
}

const splitList = (value: unknown): unknown => (typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value);

const absolute = (path: string, baseDir: string): string => (isAbsolute(path) ? path : resolve(baseDir, path));

function problemOf(error: ErrorObject): ConfigProblem {
  const [, variable = '(config)', index] = error.instancePath.split('/');
  let reason = error.message ?? 'is invalid';
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.join(', ');
    reason = `must be one of ${allowed}, got '${String(error.data)}'`;
  }
  if (index !== undefined) reason = `item ${Number(index) + 1} ${reason}`;
  return { variable, reason };
}
