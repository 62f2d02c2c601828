/**
 * fixed[x] and pattern[x] semantics.
 * See: https://hl7.org/fhir/R4/elementdefinition-definitions.html#ElementDefinition.fixed_x_ (exact match) and
 * https://hl7.org/fhir/R4/elementdefinition-definitions.html#ElementDefinition.pattern_x_ (the instance contains
 * the pattern: every property of the pattern is present with the same value; array items match some item).
 */
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Exact equality of two JSON values (fixed[x]). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => deepEqual(a[k], b[k]));
}

/** True when `instance` contains `pattern` (pattern[x]). */
export function containsPattern(instance: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    return Array.isArray(instance) && pattern.every((p) => instance.some((i) => containsPattern(i, p)));
  }
  if (isObject(pattern)) {
    return isObject(instance) && Object.keys(pattern).every((k) => containsPattern(instance[k], pattern[k]));
  }
  return instance === pattern;
}

/** The value of the `fixed[x]` or `pattern[x]` property of an ElementDefinition, if any. */
export function fixedAndPattern(el: object): { fixed?: unknown; pattern?: unknown } {
  const out: { fixed?: unknown; pattern?: unknown } = {};
  for (const [k, v] of Object.entries(el)) {
    if (k.startsWith('fixed')) out.fixed = v;
    else if (k.startsWith('pattern')) out.pattern = v;
  }
  return out;
}
