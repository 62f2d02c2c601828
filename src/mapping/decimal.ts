/**
 * Exact decimal arithmetic for unit conversion: numbers become rationals of BigInts (from their shortest
 * decimal text, so `98.6` is exactly 986/10), are converted exactly, and are rounded once at the end.
 * This keeps `98.6 [degF]` → `37 Cel` instead of binary floating-point noise like 36.99999999999999.
 */

export interface Rational {
  readonly n: bigint;
  /** Always > 0. */
  readonly d: bigint;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

function gcd(a: bigint, b: bigint): bigint {
  let x = abs(a);
  let y = abs(b);
  while (y !== 0n) [x, y] = [y, x % y];
  return x === 0n ? 1n : x;
}

export function rational(n: bigint, d: bigint = 1n): Rational {
  if (d === 0n) throw new RangeError('division by zero');
  const sign = d < 0n ? -1n : 1n;
  const g = gcd(n, d);
  return { n: (sign * n) / g, d: (sign * d) / g };
}

/** The exact value of a finite number's shortest round-trip decimal text (ECMAScript Number::toString). */
export function fromNumber(x: number): Rational {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!m) throw new RangeError(`cannot read number ${x}`);
  const [, sign = '', int = '0', frac = '', exp = '0'] = m;
  const e = Number(exp) - frac.length;
  const digits = BigInt(sign + int + frac);
  return e >= 0 ? rational(digits * 10n ** BigInt(e)) : rational(digits, 10n ** BigInt(-e));
}

export const add = (a: Rational, b: Rational): Rational => rational(a.n * b.d + b.n * a.d, a.d * b.d);
export const mul = (a: Rational, b: Rational): Rational => rational(a.n * b.n, a.d * b.d);

/** Round half away from zero to `decimals` places and return the decimal text (no exponent). */
export function toFixedText(r: Rational, decimals: number): string {
  const scale = 10n ** BigInt(decimals);
  const scaled = abs(r.n) * scale;
  let q = scaled / r.d;
  if ((scaled % r.d) * 2n >= r.d) q += 1n;
  const negative = r.n < 0n && q !== 0n;
  const digits = q.toString().padStart(decimals + 1, '0');
  const int = digits.slice(0, digits.length - decimals);
  const frac = digits.slice(digits.length - decimals);
  return (negative ? '-' : '') + int + (decimals > 0 ? '.' + frac : '');
}

/** Round to `decimals` places (half away from zero) and return a JSON number. */
export const roundTo = (r: Rational, decimals: number): number => Number(toFixedText(r, decimals));

/**
 * Decimal text of a finite number without exponent notation, as FHIR decimals in strings
 * (SampledData.data) require. See: https://hl7.org/fhir/R4/datatypes.html#SampledData
 */
export function plainDecimal(x: number): string {
  const text = String(x);
  if (!text.includes('e')) return text;
  const r = fromNumber(x);
  let places = 0;
  for (let d = r.d; d > 1n; d /= 10n) places += 1;
  return toFixedText(r, places);
}
