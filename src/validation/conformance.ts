import type { OperationOutcome, Resource } from 'fhir/r4';
import { extendValidator } from './create-validator';
import type { DefinitionSet } from './definition-set';
import type { Validator } from './port';
import type { ValidatorOptions } from './validator-options';

/**
 * The conformance comparison: our verdict against the HL7 reference validator's on its own test cases
 * (FHIR/fhir-test-cases layout, see load-conformance-cases.ts). Pure: cases arrive parsed.
 * A verdict is "valid" when no issue has severity error or fatal (the README of the cases says so).
 */
export interface ConformanceCase {
  readonly name: string;
  readonly module: string;
  /** The resource to validate; undefined when the input cannot be read here (XML), with `skipped` saying why. */
  readonly resource?: Resource;
  /** Set when the input is not JSON at all: a fatal error, as a FHIR JSON parser reports it. */
  readonly parseError?: string;
  /** Conformance resources to load first (`supporting` and `profiles` of the manifest). */
  readonly definitions: Partial<DefinitionSet>;
  readonly checks: readonly ConformanceCheck[];
  /** The reference validator's switches this case sets (security checks, examples, extension domains). */
  readonly options?: ValidatorOptions;
  /** Why (part of) the case could not be run as the reference validator ran it. */
  readonly skipped: readonly string[];
}

export interface ConformanceCheck {
  /** `base`, or `profile` (validated against `profile` in addition). */
  readonly kind: 'base' | 'profile';
  /** Profiles to validate against explicitly (the case's `profile`, an IG's global profiles). */
  readonly profiles?: readonly string[];
  /** Conformance resources only this check loads (the profile under test is unknown to the base check). */
  readonly extra?: Partial<DefinitionSet>;
  readonly expected: ExpectedOutcome;
}

export interface ExpectedOutcome {
  readonly valid: boolean;
  /** issue.expression[0] of each error/fatal issue, when the reference gave them. */
  readonly errorElements?: readonly string[];
}

export interface CheckResult {
  readonly case: string;
  readonly module: string;
  readonly kind: 'base' | 'profile';
  readonly expectedValid: boolean;
  readonly actualValid: boolean;
  readonly agrees: boolean;
  /** Same set of elements carrying errors (undefined when the reference outcome lists none to compare). */
  readonly sameElements?: boolean;
  readonly expectedElements: readonly string[];
  readonly actualElements: readonly string[];
  readonly skipped: readonly string[];
  /** Our error texts, for explaining a disagreement. */
  readonly errors: readonly string[];
}

export interface ConformanceSummary {
  readonly checks: number;
  readonly agreed: number;
  /** agreed / checks, 0..1 */
  readonly agreement: number;
  readonly sameElements: number;
  readonly comparableElements: number;
  readonly results: readonly CheckResult[];
}

/** Verdict and error elements of a reference OperationOutcome, or of `{ errorCount }`. */
export function expectedFrom(outcome: OperationOutcome | { errorCount: number }): ExpectedOutcome {
  if ('errorCount' in outcome) return { valid: outcome.errorCount === 0 };
  const errors = (outcome.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  return { valid: errors.length === 0, errorElements: errorElements(outcome) };
}

const errorElements = (o: OperationOutcome): string[] =>
  [...new Set((o.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal').map((i) => i.expression?.[0] ?? i.location?.[0] ?? ''))].sort();

/**
 * Runs every check of every case with `validator` extended by the case's definitions.
 * @example
 * const summary = runConformance(createValidator(loadDefinitions()), loadConformanceCases(folder));
 */
export function runConformance(validator: Validator, cases: readonly ConformanceCase[]): ConformanceSummary {
  const results: CheckResult[] = [];
  for (const c of cases) results.push(...runCase(validator, c));
  const agreed = results.filter((r) => r.agrees).length;
  const comparable = results.filter((r) => r.sameElements !== undefined);
  return {
    checks: results.length,
    agreed,
    agreement: results.length === 0 ? 0 : agreed / results.length,
    sameElements: comparable.filter((r) => r.sameElements === true).length,
    comparableElements: comparable.length,
    results,
  };
}

function runCase(base: Validator, c: ConformanceCase): CheckResult[] {
  const resource = c.resource;
  if (c.parseError !== undefined) return c.checks.map((check) => notJson(c, check, c.parseError as string));
  if (resource === undefined) return [];
  let validator = base;
  const skipped = [...c.skipped];
  try {
    const hasDefs = Object.values(c.definitions).some((list) => (list?.length ?? 0) > 0);
    if (hasDefs || c.options !== undefined) validator = extendValidator(base, c.definitions, c.options);
  } catch (e) {
    skipped.push(`definitions not loaded: ${(e as Error).message}`);
  }
  return c.checks.map((check) => {
    const checker = check.extra === undefined ? validator : extendOrKeep(validator, check.extra, skipped);
    const outcome = checker.validate(resource, check.profiles === undefined ? undefined : { profiles: [...check.profiles] });
    const errors = outcome.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
    const actualElements = errorElements(outcome);
    const expectedElements = check.expected.errorElements ?? [];
    const actualValid = errors.length === 0;
    return {
      case: c.name,
      module: c.module,
      kind: check.kind,
      expectedValid: check.expected.valid,
      actualValid,
      agrees: actualValid === check.expected.valid,
      sameElements: check.expected.errorElements === undefined ? undefined : sameSet(expectedElements, actualElements),
      expectedElements,
      actualElements,
      skipped,
      errors: errors.map((i) => `${i.expression?.[0] ?? '-'}: ${i.diagnostics ?? ''}`),
    };
  });
}

function extendOrKeep(validator: Validator, extra: Partial<DefinitionSet>, skipped: string[]): Validator {
  try {
    return extendValidator(validator, extra);
  } catch (e) {
    skipped.push(`profile not loaded: ${(e as Error).message}`);
    return validator;
  }
}

function notJson(c: ConformanceCase, check: ConformanceCheck, message: string): CheckResult {
  return {
    case: c.name, module: c.module, kind: check.kind, expectedValid: check.expected.valid, actualValid: false,
    agrees: !check.expected.valid, expectedElements: check.expected.errorElements ?? [], actualElements: [],
    skipped: c.skipped, errors: [`(not JSON) ${message}`],
  };
}

/** Element sets compared without list indexes `[0]` the two validators may write differently. */
function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const norm = (xs: readonly string[]): string => [...new Set(xs.map((x) => x.replace(/\[0\]/g, '')))].sort().join('\n');
  return norm(a) === norm(b);
}
