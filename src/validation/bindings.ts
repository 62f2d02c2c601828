import type { At, Issues } from './issues';
import { isUcumUnit, UCUM_SYSTEM } from './ucum';
import type { Expansion, ValueSetIndex } from './value-sets';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Bindings: the code must be in the value set — an error for `required`, a warning for `extensible`
 * (`severity`). Only checked when the value set expands locally (see ValueSetIndex) or is all of UCUM (checked by
 * the UCUM library); LOINC/SNOMED CT sets are not expanded offline and so not checked (never guessed).
 * See: https://hl7.org/fhir/R4/terminologies.html#required and https://hl7.org/fhir/R4/terminologies.html#extensible
 */
export function checkBinding(
  valueSets: ValueSetIndex,
  issues: Issues,
  canonical: string,
  type: string,
  value: unknown,
  at: At,
  suffix = '',
  severity: 'error' | 'warning' = 'error',
): void {
  if (isUcumUnits(canonical)) {
    checkUcumBinding(issues, type, value, at, suffix, severity);
    return;
  }
  const exp = valueSets.expand(canonical);
  if (exp === undefined) return;
  if (type === 'code' || type === 'string' || type === 'uri') {
    if (type === 'code' && typeof value === 'string' && !exp.codes.has(value)) notInSet(issues, severity, canonical, suffix, value, at);
    return;
  }
  if (!isObject(value)) return;
  if (type === 'Coding' || QUANTITIES.has(type)) {
    if (value.code !== undefined && !inSet(exp, value.system, value.code)) notInSet(issues, severity, canonical, suffix, value.code, `${String(at)}.code`);
  } else if (type === 'CodeableConcept') {
    // An extensible binding is met by text alone when no code fits. See: https://hl7.org/fhir/R4/terminologies.html#extensible
    const outside = codedOutside(exp, value.coding);
    if (outside !== undefined) notInSet(issues, severity, canonical, suffix, outside.code, `${String(at)}.coding`);
  }
}

/** A function, not a closure made per binding check (hot: most checks find the code in the set). */
function notInSet(issues: Issues, severity: 'error' | 'warning', canonical: string, suffix: string, code: unknown, where: At): void {
  issues.add(severity, 'code-invalid', `The code '${String(code)}' is not in the ${severity === 'error' ? 'required' : 'extensible'} value set ${canonical}${suffix}`, where);
}

const inSet = (exp: Expansion, system: unknown, code: unknown): boolean =>
  typeof system === 'string' ? exp.pairs.has(`${system}|${String(code)}`) : exp.codes.has(String(code));

/** The first coded Coding when none of the coded ones is in the set; undefined when one is, or none is coded. */
function codedOutside(exp: Expansion, codings: unknown): Json | undefined {
  if (!Array.isArray(codings)) return undefined;
  let first: Json | undefined;
  for (const c of codings) {
    if (!isObject(c) || c.code === undefined) continue;
    if (inSet(exp, c.system, c.code)) return undefined;
    first ??= c;
  }
  return first;
}

const UCUM_UNITS = 'http://hl7.org/fhir/ValueSet/ucum-units';
/** `canonical` without its `|version` is UCUM_UNITS (tested in place: no split per binding check). */
const isUcumUnits = (canonical: string): boolean =>
  canonical.startsWith(UCUM_UNITS) && (canonical.length === UCUM_UNITS.length || canonical.charCodeAt(UCUM_UNITS.length) === 124);

/** The ucum-units value set is all of UCUM (a grammar, not a list): the UCUM library decides. */
function checkUcumBinding(issues: Issues, type: string, value: unknown, at: At, suffix: string, severity: 'error' | 'warning'): void {
  const code = type === 'code' ? value : isObject(value) ? value.code : undefined;
  const where = type === 'code' ? at : `${at}.code`;
  if (typeof code !== 'string') return;
  if (!isUcumUnit(code)) issues.add(severity, 'code-invalid', `The unit '${code}' is not a valid UCUM unit (value set ${UCUM_UNITS})${suffix}`, where);
  else if (isObject(value) && value.system !== undefined && value.system !== UCUM_SYSTEM) {
    issues.add(severity, 'code-invalid', `The unit system must be ${UCUM_SYSTEM} (value set ${UCUM_UNITS})${suffix}`, `${at}.system`);
  }
}

/** Quantity and its R4 specializations: a binding on them constrains `code` (+ `system`). */
const QUANTITIES = new Set(['Quantity', 'Age', 'Count', 'Distance', 'Duration', 'MoneyQuantity', 'SimpleQuantity']);
