import { convert, findConversion, isUcumCode, knownConversions, round } from '../../src/mapping/units';
import { fromNumber, plainDecimal, toFixedText } from '../../src/mapping/decimal';

const conv = (from: string, to: string) => {
  const c = findConversion(from, to);
  if (!c) throw new Error(`no ${from} → ${to}`);
  return c;
};

describe('unit conversion (exact, then rounded once)', () => {
  it.each([
    ['[degF]', 'Cel', 98.6, 1, 37],
    ['[degF]', 'Cel', 32, 1, 0],
    ['[degF]', 'Cel', 212, 2, 100],
    ['[degF]', 'Cel', -40, 1, -40],
    ['[degF]', 'Cel', 102.1, 1, 38.9], // 38.944…
    ['[degF]', 'Cel', 100.5, 2, 38.06], // 38.0555… rounds up
    ['[degF]', 'Cel', 31.99, 1, 0], // -0.00555… → 0 (never -0)
    ['[lb_av]', 'kg', 1, 8, 0.45359237],
    ['[lb_av]', 'kg', 154.3, 1, 70], // 69.989…
    ['kPa', 'mm[Hg]', 13.3322, 0, 100],
    ['kPa', 'mm[Hg]', 16, 0, 120], // 120.0096…
    ['Cel', '[degF]', 37, 1, 98.6],
    ['mm[Hg]', 'kPa', 120, 2, 16], // 15.99864
    ['[in_i]', 'cm', 70, 1, 177.8],
    ['kg', '[lb_av]', 70, 1, 154.3], // 154.323…
  ])('%s → %s: %p (%p decimals) = %p', (from, to, value, decimals, expected) => {
    const out = convert(value, conv(from, to), decimals);
    expect(out).toBe(expected);
    expect(Object.is(out, -0)).toBe(false);
  });

  it('has no conversion for pairs outside the table', () => {
    expect(findConversion('K', 'Cel')).toBeUndefined();
    expect(findConversion('[degF]', 'K')).toBeUndefined();
    expect(findConversion('mg/dL', 'mmol/L')).toBeUndefined(); // needs the substance's molar mass
    expect(knownConversions()).toEqual(['[degF] ↔ Cel', '[lb_av] ↔ kg', '[in_i] ↔ cm', 'g ↔ kg', 'kPa ↔ mm[Hg]', 'mg/dL ↔ mmol/L (with molarMass)']);
  });

  it('converts glucose mg/dL ↔ mmol/L with its molar mass (180.156 g/mol)', () => {
    const toMmol = findConversion('mg/dL', 'mmol/L', 180.156);
    const toMg = findConversion('mmol/L', 'mg/dL', 180.156);
    if (!toMmol || !toMg) throw new Error('missing glucose conversion');
    expect(convert(100, toMmol, 2)).toBe(5.55); // 100 · 10 / 180.156 = 5.5507…
    expect(convert(180.156, toMmol, 3)).toBe(10);
    expect(convert(5.5, toMg, 0)).toBe(99); // 99.0858
    expect(convert(7, toMg, 1)).toBe(126.1); // 126.1092
  });

  it('rounds half away from zero', () => {
    expect(round(2.5, 0)).toBe(3);
    expect(round(-2.5, 0)).toBe(-3);
    expect(round(1.005, 2)).toBe(1.01); // binary 1.005 is 1.00499…; the decimal text is what counts
    expect(round(97, 0)).toBe(97);
  });

  it('knows UCUM codes', () => {
    for (const ok of ['%', '/min', 'mm[Hg]', 'Cel', '[degF]', 'mV', 'kg', '{beats}/min']) expect(isUcumCode(ok)).toBe(true);
    for (const bad of ['bpm', 'degF', 'mmHg', 'celsius', '']) expect(isUcumCode(bad)).toBe(false);
  });
});

describe('decimal helpers', () => {
  it('reads numbers by their shortest decimal text', () => {
    expect(fromNumber(0.1)).toEqual({ n: 1n, d: 10n });
    expect(fromNumber(1.2e-7)).toEqual({ n: 3n, d: 25000000n });
    expect(fromNumber(1e21)).toEqual({ n: 10n ** 21n, d: 1n });
    expect(() => fromNumber(Number.NaN)).toThrow(RangeError);
  });

  it('writes decimals without exponents', () => {
    expect(plainDecimal(1.2e-7)).toBe('0.00000012');
    expect(plainDecimal(-5e-7)).toBe('-0.0000005');
    expect(plainDecimal(1e21)).toBe('1000000000000000000000');
    expect(plainDecimal(0.25)).toBe('0.25');
    expect(toFixedText({ n: -1n, d: 3n }, 2)).toBe('-0.33');
  });
});
