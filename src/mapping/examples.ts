import type { OperationOutcomeIssue } from 'fhir/r4';
import { FhirError } from '../errors/fhir-error';
import type { Validator } from '../validation/port';
import type { CompiledMapping, DeviceContext, MapOutput } from './types';

/**
 * Golden examples: every family keeps raw payloads in `examples/` and the exact `{device, observations}` the
 * runtime produces in `expected/` (same file name). `iomt-bridge mappings test` and the golden tests run them.
 */
export interface ExampleResult {
  readonly mapping: string;
  readonly example: string;
  /** pass; fail (output differs, or a resource is invalid); error (the payload was refused); new (no expected file yet). */
  readonly status: 'pass' | 'fail' | 'error' | 'new';
  readonly reason?: string;
  readonly output?: MapOutput;
}

/**
 * The device the examples are mapped as: registry id `dev-<mapping>-1`, linked to `Patient/example` — except for
 * MedTech templates, whose messages name their own patient (`patientIdExpression`).
 */
export function exampleDevice(mapping: CompiledMapping): DeviceContext {
  return mapping.kind === 'medtech' ? { deviceId: `dev-${mapping.id}-1` } : { deviceId: `dev-${mapping.id}-1`, patient: 'Patient/example' };
}

/** Map one example, validate what comes out, compare with the expected output (when there is one). */
export function runExample(mapping: CompiledMapping, example: string, payload: unknown, expected: unknown, validator: Validator): ExampleResult {
  let output: MapOutput;
  try {
    output = mapping.map({ payload, device: exampleDevice(mapping) });
  } catch (e) {
    if (!(e instanceof FhirError)) throw e;
    return { mapping: mapping.id, example, status: 'error', reason: e.outcome.issue.map(issueText).join('; ') };
  }
  const invalid = [output.device, ...output.observations].flatMap((r) =>
    validator.validate(r).issue.filter((i) => i.severity === 'error' || i.severity === 'fatal').map((i) => `${r.resourceType}/${r.id}: ${issueText(i)}`));
  if (invalid.length > 0) return { mapping: mapping.id, example, status: 'fail', reason: `invalid: ${invalid.join('; ')}`, output };
  if (expected === undefined) return { mapping: mapping.id, example, status: 'new', output };
  const diff = firstDifference(JSON.parse(JSON.stringify(output)) as unknown, expected);
  return diff === undefined ? { mapping: mapping.id, example, status: 'pass', output } : { mapping: mapping.id, example, status: 'fail', reason: diff, output };
}

const issueText = (i: OperationOutcomeIssue): string => `${i.details?.text ?? i.diagnostics ?? i.code}${i.expression ? ` (${i.expression.join(', ')})` : ''}`;

/** The first place two JSON values differ, as `$.observations[0].valueQuantity.value: expected 37, got 37.1`. */
export function firstDifference(actual: unknown, expected: unknown, path = '$'): string | undefined {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(actual.length, expected.length); i += 1) {
      if (i >= actual.length) return `${path}[${i}]: missing (expected ${short(expected[i])})`;
      if (i >= expected.length) return `${path}[${i}]: unexpected ${short(actual[i])}`;
      const d = firstDifference(actual[i], expected[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isObject(expected) && isObject(actual)) {
    for (const k of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      if (!(k in actual)) return `${path}.${k}: missing (expected ${short(expected[k])})`;
      if (!(k in expected)) return `${path}.${k}: unexpected ${short(actual[k])}`;
      const d = firstDifference(actual[k], expected[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(actual, expected) ? undefined : `${path}: expected ${short(expected)}, got ${short(actual)}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const short = (v: unknown): string => {
  const text = JSON.stringify(v) ?? 'undefined';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};
