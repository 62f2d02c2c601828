/**
 * Order of two FHIR date / dateTime strings, natively, for the cases where FHIRPath's answer is certain:
 * both dates of the same precision (`2013`, `2013-04`, `2013-04-02`: the text orders them), or both times to
 * the second with a time zone (one instant each). Mixed precisions or a missing zone return undefined: FHIRPath
 * may then answer "empty" (https://hl7.org/fhirpath/N1/#comparison), and the caller asks fhirpath.js instead.
 * The values have passed the primitive check first; anything else also returns undefined.
 * See: https://hl7.org/fhir/R4/datatypes.html#dateTime
 */
const DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;
const FINER_THAN_MS = /\.\d{4,}/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Negative when `a` is before `b`, zero when equal, positive after; undefined when not certain (see above). */
export function compareDateTimes(a: unknown, b: unknown): number | undefined {
  if (typeof a !== 'string' || typeof b !== 'string') return undefined;
  if (a.length === b.length && DATE.test(a) && DATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  if (!INSTANT.test(a) || !INSTANT.test(b)) return undefined;
  const [x, y] = [Date.parse(a), Date.parse(b)];
  // Date.parse keeps milliseconds only; a tie at that resolution with longer fractions is left to FHIRPath.
  if (Number.isNaN(x) || Number.isNaN(y) || (x === y && (FINER_THAN_MS.test(a) || FINER_THAN_MS.test(b)))) return undefined;
  return x - y;
}
