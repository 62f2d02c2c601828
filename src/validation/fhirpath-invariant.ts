import { compile } from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import type { InvariantEnv } from './invariants';

/**
 * One FHIRPath invariant compiled once by fhirpath.js, evaluated as a boolean: the constraint holds when the
 * expression yields `true` or nothing (an empty result is not a failure in FHIRPath invariants; `false` is).
 * An evaluation error (e.g. a function needing a terminology server) counts as holding, so a rule we cannot
 * compute never rejects a resource. Compiled on first use: the R4 core holds ~1,000 invariants, most of which a
 * device-data bridge never meets, and compiling them all would triple the cold start. `fhirPathCompiles` lets a
 * caller check an expression eagerly (our own profiles are checked by test/validation).
 * See: https://hl7.org/fhirpath/N1/#singleton-evaluation-of-collections and https://hl7.org/fhir/R4/fhirpath.html
 */
export function compileFhirPath(expression: string, base: string): (value: unknown, env: InvariantEnv) => boolean {
  const byBase = new Map<string, ReturnType<typeof compile> | null>();
  return (value, env) => {
    const at = env.rebase !== undefined && base.startsWith(env.rebase.from) ? `${env.rebase.to}${base.slice(env.rebase.from.length)}` : base;
    let fn = byBase.get(at);
    if (fn === undefined) {
      fn = tryCompile(expression, at);
      byBase.set(at, fn);
    }
    if (fn === null) return true;
    try {
      const out = fn(value, { resource: env.resource, rootResource: env.rootResource }) as unknown[];
      return !(out.length === 1 && out[0] === false);
    } catch {
      return true;
    }
  };
}

function tryCompile(expression: string, base: string): ReturnType<typeof compile> | null {
  try {
    return compile(base === '' ? expression : { base, expression }, r4, { async: false, traceFn: ignoreTrace });
  } catch {
    return null;
  }
}

/** True when fhirpath.js compiles the expression (for checking profiles ahead of use). */
export const fhirPathCompiles = (expression: string, base = ''): boolean => tryCompile(expression, base) !== null;

/** ref-1 and others call trace(); fhirpath.js would print to the console on every evaluation. */
const ignoreTrace = (): void => undefined;
