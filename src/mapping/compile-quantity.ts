import type { Quantity, Range, Ratio } from 'fhir/r4';
import { compileSource, isAbsent, ManyValues, type Extractor } from './compile-source';
import { definitionError, docPathText, type CompileContext } from './compile-context';
import { convert, findConversion, isUcumCode, knownConversions, round, type Conversion } from './units';
import type { DocPath } from './parse-mapping-text';
import type { QuantitySpec } from './mapping-document';
import type { RunIssues } from './run-issues';

/** UCUM, the only unit system the vital-signs profiles accept. See: https://hl7.org/fhir/R4/observation-vitalsigns.html */
export const UCUM = 'http://unitsofmeasure.org';

/** A reader's answer: a value, nothing there, present but not a number (NaN, "---"), or an issue was recorded. */
export type Read<T> = T | 'absent' | 'nan' | 'error';

export function checkUnit(code: string, at: DocPath, ctx: CompileContext): void {
  if (!isUcumCode(code)) throw definitionError(ctx, at, `"${code}" is not a UCUM unit code (see https://ucum.org/ucum)`);
}

/** Several values where one is expected (a JSONPath/JMESPath expression that matched many) is an issue. */
export function single(src: Extractor, run: RunIssues, label: string): unknown {
  const v = src.read(run);
  if (!(v instanceof ManyValues)) return v;
  run.add('value', `${label}: ${src.text} selects ${v.values.length} values where one is expected`, src.where);
  return new ManyValues(v.values);
}

/**
 * A finite number. With `nanOk` (absent: data-absent-reason) a value that is not a number is reported as
 * 'nan' instead of an issue, so the observation can say `dataAbsentReason: not-a-number`.
 */
export function readNumber(src: Extractor, run: RunIssues, label: string, nanOk = false): Read<number> {
  const v = single(src, run, label);
  if (v instanceof ManyValues) return 'error';
  if (isAbsent(v)) return 'absent';
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (nanOk && (typeof v === 'string' || typeof v === 'number')) return 'nan';
  const got = typeof v === 'number' ? String(v) : `${Array.isArray(v) ? 'array' : typeof v} ${JSON.stringify(v)}`.slice(0, 80);
  run.add('value', `${label}: expected a finite number at ${src.text}, got ${got}`, src.where);
  return 'error';
}

export interface QuantityReader {
  read(run: RunIssues, label: string, nanOk?: boolean): Read<Quantity>;
  readonly source: Extractor;
}

type UnitSource = { kind: 'fixed'; conversion?: Conversion } | { kind: 'payload'; src: Extractor; units: Record<string, string>; conversions: Map<string, Conversion | undefined> };

/** `from`: a UCUM code, or `{path, units}` — the payload says its unit, each allowed one maps to UCUM. */
function compileFrom(spec: QuantitySpec, at: DocPath, ctx: CompileContext): UnitSource {
  const to = spec.unit;
  const conversionTo = (from: string, fromAt: DocPath): Conversion | undefined => {
    checkUnit(from, fromAt, ctx);
    if (from === to) return undefined;
    const c = findConversion(from, to, spec.molarMass);
    if (!c) throw definitionError(ctx, fromAt, `no conversion from ${from} to ${to} (known: ${knownConversions().join(', ')})`);
    if (spec.decimals === undefined) throw definitionError(ctx, at, 'a unit conversion needs `decimals` (rounding of the result)');
    return c;
  };
  if (spec.from === undefined) return { kind: 'fixed' };
  if (typeof spec.from === 'string') return { kind: 'fixed', conversion: conversionTo(spec.from, [...at, 'from']) };
  const { units, ...keys } = spec.from;
  const conversions = new Map(Object.entries(units).map(([device, ucum]) => [device, conversionTo(ucum, [...at, 'from', 'units', device])]));
  return { kind: 'payload', src: compileSource(keys, [...at, 'from'], ctx), units, conversions };
}

export function compileQuantity(spec: QuantitySpec, at: DocPath, ctx: CompileContext): QuantityReader {
  const src = compileSource(spec, at, ctx);
  if (src.isConst && typeof spec.const !== 'number') throw definitionError(ctx, [...at, 'const'], 'a quantity constant must be a number');
  checkUnit(spec.unit, [...at, 'unit'], ctx);
  const from = compileFrom(spec, at, ctx);
  const { unit, decimals } = spec;
  const where = docPathText(at);
  const read: QuantityReader['read'] = (run, label, nanOk = false) => {
    const v = readNumber(src, run, label, nanOk);
    if (typeof v !== 'number') return v;
    let conversion: Conversion | undefined;
    if (from.kind === 'fixed') conversion = from.conversion;
    else {
      const deviceUnit = single(from.src, run, label);
      if (typeof deviceUnit !== 'string' || !from.conversions.has(deviceUnit)) {
        run.add('value', `${label}: unit ${JSON.stringify(deviceUnit ?? null)} at ${from.src.text} is not one of ${Object.keys(from.units).join(', ')}`, from.src.where);
        return 'error';
      }
      conversion = from.conversions.get(deviceUnit);
    }
    const value = conversion ? convert(v, conversion, decimals as number) : decimals === undefined ? v : round(v, decimals);
    if (conversion) run.trace?.push({ step: 'convert', at: where, value: { input: v, from: conversion.from, output: value, to: conversion.to, decimals } });
    return { value, unit, system: UCUM, code: unit };
  };
  return { read, source: src };
}

/** Range: low and/or high; absent when both are. See: https://hl7.org/fhir/R4/datatypes.html#Range */
export function compileRange(spec: { low?: QuantitySpec; high?: QuantitySpec }, at: DocPath, ctx: CompileContext): QuantityReader & { readRange(run: RunIssues, label: string): Read<Range> } {
  const low = spec.low ? compileQuantity(spec.low, [...at, 'low'], ctx) : undefined;
  const high = spec.high ? compileQuantity(spec.high, [...at, 'high'], ctx) : undefined;
  const first = (low ?? high) as QuantityReader;
  const readRange = (run: RunIssues, label: string): Read<Range> => {
    const l = low ? low.read(run, `${label} low`) : 'absent';
    const h = high ? high.read(run, `${label} high`) : 'absent';
    if (l === 'error' || h === 'error' || l === 'nan' || h === 'nan') return 'error';
    if (l === 'absent' && h === 'absent') return 'absent';
    const r: Range = {};
    if (l !== 'absent') r.low = l;
    if (h !== 'absent') r.high = h;
    return r;
  };
  return { ...first, readRange };
}

/** Ratio: numerator and denominator both required. See: https://hl7.org/fhir/R4/datatypes.html#Ratio */
export function compileRatio(spec: { numerator: QuantitySpec; denominator: QuantitySpec }, at: DocPath, ctx: CompileContext): { readRatio(run: RunIssues, label: string): Read<Ratio>; source: Extractor } {
  const n = compileQuantity(spec.numerator, [...at, 'numerator'], ctx);
  const d = compileQuantity(spec.denominator, [...at, 'denominator'], ctx);
  const readRatio = (run: RunIssues, label: string): Read<Ratio> => {
    const num = n.read(run, `${label} numerator`);
    const den = d.read(run, `${label} denominator`);
    if (num === 'absent' && den === 'absent') return 'absent';
    if (typeof num !== 'object' || typeof den !== 'object') {
      if (num === 'absent') run.add('required', `${label}: ratio numerator is missing (nothing at ${n.source.text})`, n.source.where);
      if (den === 'absent') run.add('required', `${label}: ratio denominator is missing (nothing at ${d.source.text})`, d.source.where);
      return 'error';
    }
    return { numerator: num, denominator: den };
  };
  return { readRatio, source: n.source };
}
