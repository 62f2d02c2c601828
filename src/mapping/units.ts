import { add, fromNumber, mul, rational, roundTo, type Rational } from './decimal';

/**
 * Units: UCUM code checks and the small, exact conversion table of the spine.
 * See: https://ucum.org/ucum (definitions of [degF], [lb_av], m[Hg]).
 */

/** y = x · factor + offset, exactly. */
export interface Conversion {
  readonly from: string;
  readonly to: string;
  readonly factor: Rational;
  readonly offset: Rational;
}

const TABLE: readonly Conversion[] = [
  // UCUM: [degF] = 5/9 K with 0 [degF] = 459.67 [degF] below 0 K ⇒ Cel = ([degF] − 32) · 5/9 = x·5/9 − 160/9.
  { from: '[degF]', to: 'Cel', factor: rational(5n, 9n), offset: rational(-160n, 9n) },
  // UCUM: [lb_av] = 7000 [gr] = 7000 · 64.79891 mg = 0.45359237 kg (exact).
  { from: '[lb_av]', to: 'kg', factor: rational(45359237n, 100000000n), offset: rational(0n) },
  // UCUM: m[Hg] = 133.3220 kPa ⇒ 1 mm[Hg] = 0.133322 kPa ⇒ mm[Hg] = kPa · 1000000/133322.
  { from: 'kPa', to: 'mm[Hg]', factor: rational(1000000n, 133322n), offset: rational(0n) },
];

/** The conversion from one UCUM unit to another, or undefined when the table has none. */
export function findConversion(from: string, to: string): Conversion | undefined {
  return TABLE.find((c) => c.from === from && c.to === to);
}

/** Every conversion the table knows, as `from → to` (for error messages and docs). */
export const knownConversions = (): string[] => TABLE.map((c) => `${c.from} → ${c.to}`);

/** Convert exactly, then round half away from zero to `decimals`. */
export function convert(value: number, conversion: Conversion, decimals: number): number {
  return roundTo(add(mul(fromNumber(value), conversion.factor), conversion.offset), decimals);
}

/** Round a value that needs no conversion. */
export const round = (value: number, decimals: number): number => roundTo(fromNumber(value), decimals);

interface UcumUtils {
  validateUnitString(unit: string, suggest: boolean): { status: string };
}

let ucum: UcumUtils | undefined;

/** True when `code` is a valid UCUM expression (checked with @lhncbc/ucum-lhc at compile time only). */
export function isUcumCode(code: string): boolean {
  // ucum-lhc ships no type declarations; the one method used is typed by UcumUtils above.
  ucum ??= (require('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } }).UcumLhcUtils.getInstance();
  return ucum.validateUnitString(code, false).status === 'valid';
}
