import type { Issues } from './issues';
import type { ValueSetIndex } from './value-sets';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Required bindings: the code must be in the value set. Only checked when the value set expands locally
 * (see ValueSetIndex); extensible/preferred/example bindings are not checked in this version.
 * See: https://hl7.org/fhir/R4/terminologies.html#required
 */
export function checkBinding(
  valueSets: ValueSetIndex,
  issues: Issues,
  canonical: string,
  type: string,
  value: unknown,
  at: string,
  suffix = '',
): void {
  const exp = valueSets.expand(canonical);
  if (exp === undefined) return;
  const inSet = (system: unknown, code: unknown): boolean =>
    typeof system === 'string' ? exp.pairs.has(`${system}|${String(code)}`) : exp.codes.has(String(code));
  const fail = (code: unknown, where: string): void =>
    issues.error('code-invalid', `The code '${String(code)}' is not in the required value set ${canonical}${suffix}`, where);
  if (type === 'code' || type === 'string' || type === 'uri') {
    if (type === 'code' && typeof value === 'string' && !exp.codes.has(value)) fail(value, at);
    return;
  }
  if (!isObject(value)) return;
  if (type === 'Coding') {
    if (value.code !== undefined && !inSet(value.system, value.code)) fail(value.code, `${at}.code`);
  } else if (type === 'CodeableConcept') {
    const codings = Array.isArray(value.coding) ? value.coding.filter(isObject) : [];
    const coded = codings.filter((c) => c.code !== undefined);
    if (coded.length > 0 && !coded.some((c) => inSet(c.system, c.code))) fail(coded[0]?.code, `${at}.coding`);
  } else if (QUANTITIES.has(type)) {
    if (value.code !== undefined && !inSet(value.system, value.code)) fail(value.code, `${at}.code`);
  }
}

/** Quantity and its R4 specializations: a binding on them constrains `code` (+ `system`). */
const QUANTITIES = new Set(['Quantity', 'Age', 'Count', 'Distance', 'Duration', 'MoneyQuantity', 'SimpleQuantity']);
