/**
 * UCUM units through @lhncbc/ucum-lhc (the NLM's UCUM library; it ships no TypeScript types, hence the small
 * interface below). Results are cached per unit: a device sends the same few units again and again.
 * See: https://ucum.org/ucum and https://hl7.org/fhir/R4/datatypes.html#Quantity (system http://unitsofmeasure.org)
 */
interface UcumUtils {
  validateUnitString(unit: string): { status: 'valid' | 'invalid' | 'error' };
  convertUnitTo(from: string, value: number, to: string): { status: string; toVal?: number };
}

const ucum = (require('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } }).UcumLhcUtils.getInstance();

export const UCUM_SYSTEM = 'http://unitsofmeasure.org';
const valid = new Map<string, boolean>();
const MAX_CACHED = 10_000;

/** True when `code` is a valid UCUM expression (case-sensitive form). */
export function isUcumUnit(code: string): boolean {
  let ok = valid.get(code);
  if (ok === undefined) {
    ok = ucum.validateUnitString(code).status === 'valid';
    if (valid.size < MAX_CACHED) valid.set(code, ok); // bounded: codes come from untrusted input
  }
  return ok;
}

/** `value` in unit `from` expressed in unit `to`, or undefined when the units are not commensurable. */
export function convertUcum(value: number, from: string, to: string): number | undefined {
  if (from === to) return value;
  const out = ucum.convertUnitTo(from, value, to);
  return out.status === 'succeeded' ? out.toVal : undefined;
}
