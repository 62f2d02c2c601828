import { add, fromNumber, mul, rational, roundTo, type Rational } from './decimal';

/**
 * Units: UCUM code checks and a small, exact conversion table. Mass ↔ substance concentrations (mg/dL ↔
 * mmol/L) depend on the substance: they need its molar mass (glucose 180.156 g/mol).
 * See: https://ucum.org/ucum (definitions of [degF], [lb_av], [in_i], m[Hg], mol).
 */

/** y = x · factor + offset, exactly. */
export interface Conversion {
  readonly from: string;
  readonly to: string;
  readonly factor: Rational;
  readonly offset: Rational;
}

const zero = rational(0n);
const linear = (from: string, to: string, n: bigint, d: bigint = 1n): Conversion => ({ from, to, factor: rational(n, d), offset: zero });
const inverse = (c: Conversion): Conversion => ({ from: c.to, to: c.from, factor: rational(c.factor.d, c.factor.n), offset: rational(-c.offset.n * c.factor.d, c.offset.d * c.factor.n) });

const BASE: readonly Conversion[] = [
  // UCUM: [degF] = 5/9 K with 0 [degF] = 459.67 [degF] below 0 K ⇒ Cel = ([degF] − 32) · 5/9 = x·5/9 − 160/9.
  { from: '[degF]', to: 'Cel', factor: rational(5n, 9n), offset: rational(-160n, 9n) },
  // UCUM: [lb_av] = 7000 [gr] = 7000 · 64.79891 mg = 0.45359237 kg (exact).
  linear('[lb_av]', 'kg', 45359237n, 100000000n),
  // UCUM: [in_i] = 2.54 cm (exact).
  linear('[in_i]', 'cm', 254n, 100n),
  linear('g', 'kg', 1n, 1000n),
  // UCUM: m[Hg] = 133.3220 kPa ⇒ 1 mm[Hg] = 0.133322 kPa ⇒ mm[Hg] = kPa · 1000000/133322.
  linear('kPa', 'mm[Hg]', 1000000n, 133322n),
];
const TABLE: readonly Conversion[] = [...BASE, ...BASE.map(inverse)];

/** mg/dL → mmol/L: x mg/dL = 10·x mg/L = 10·x / M mmol/L (M in g/mol = mg/mmol). */
function molar(from: string, to: string, molarMass: number): Conversion | undefined {
  const m = fromNumber(molarMass);
  const perDl = rational(10n * m.d, m.n); // 10 / M
  if (from === 'mg/dL' && to === 'mmol/L') return { from, to, factor: perDl, offset: zero };
  if (from === 'mmol/L' && to === 'mg/dL') return { from, to, factor: rational(perDl.d, perDl.n), offset: zero };
  return undefined;
}

/** The conversion from one UCUM unit to another, or undefined when none is known. */
export function findConversion(from: string, to: string, molarMass?: number): Conversion | undefined {
  return TABLE.find((c) => c.from === from && c.to === to) ?? (molarMass === undefined ? undefined : molar(from, to, molarMass));
}

/** Every conversion known, as `from → to` (for error messages and docs). */
export const knownConversions = (): string[] => [...BASE.map((c) => `${c.from} ↔ ${c.to}`), 'mg/dL ↔ mmol/L (with molarMass)'];

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
