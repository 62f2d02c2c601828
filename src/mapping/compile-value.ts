import type { Quantity, SampledData } from 'fhir/r4';
import { compileSource, isAbsent, type Extractor } from './compile-source';
import { definitionError, type CompileContext } from './compile-context';
import { convert, findConversion, isUcumCode, knownConversions, round, type Conversion } from './units';
import { fromNumber, plainDecimal, rational, roundTo } from './decimal';
import type { DocPath } from './parse-mapping-text';
import type { QuantitySpec, SampledDataSpec, ValueSpec } from './mapping-document';
import type { RunIssues } from './run-issues';

/** UCUM, the only unit system the vital-signs profiles accept. See: https://hl7.org/fhir/R4/observation-vitalsigns.html */
export const UCUM = 'http://unitsofmeasure.org';

export type ValueOut = { valueQuantity: Quantity } | { valueSampledData: SampledData };

/** Reads one value[x] from a payload; 'absent' when the source is missing, 'error' after recording an issue. */
export interface ValueReader {
  read(payload: unknown, issues: RunIssues, label: string): ValueOut | 'absent' | 'error';
  /** Where the value comes from (for "missing" issues). */
  readonly source: Extractor;
}

export function compileValue(spec: ValueSpec, at: DocPath, ctx: CompileContext): ValueReader {
  if (spec.quantity) return compileQuantity(spec.quantity, [...at, 'quantity'], ctx);
  if (spec.sampledData) return compileSampledData(spec.sampledData, [...at, 'sampledData'], ctx);
  throw definitionError(ctx, at, 'value needs quantity or sampledData');
}

function checkUnit(code: string, at: DocPath, ctx: CompileContext): void {
  if (!isUcumCode(code)) throw definitionError(ctx, at, `"${code}" is not a UCUM unit code (see https://ucum.org/ucum)`);
}

/** Read a required finite number, recording an issue otherwise. */
export function readNumber(src: Extractor, payload: unknown, issues: RunIssues, label: string): number | 'absent' | 'error' {
  const v = src.read(payload);
  if (isAbsent(v)) return 'absent';
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    const got = typeof v === 'number' ? String(v) : `${Array.isArray(v) ? 'array' : typeof v} ${JSON.stringify(v)}`.slice(0, 80);
    issues.add('value', `${label}: expected a finite number at ${src.text}, got ${got}`, src.where);
    return 'error';
  }
  return v;
}

function compileQuantity(spec: QuantitySpec, at: DocPath, ctx: CompileContext): ValueReader {
  const src = compileSource(spec, at, ctx);
  if (src.isConst && typeof spec.const !== 'number') throw definitionError(ctx, [...at, 'const'], 'a quantity constant must be a number');
  checkUnit(spec.unit, [...at, 'unit'], ctx);
  let conversion: Conversion | undefined;
  if (spec.from !== undefined && spec.from !== spec.unit) {
    checkUnit(spec.from, [...at, 'from'], ctx);
    conversion = findConversion(spec.from, spec.unit);
    if (!conversion) {
      throw definitionError(ctx, [...at, 'from'], `no conversion from ${spec.from} to ${spec.unit} (known: ${knownConversions().join(', ')})`);
    }
    if (spec.decimals === undefined) throw definitionError(ctx, at, 'a unit conversion needs `decimals` (rounding of the result)');
  }
  const { unit, decimals } = spec;
  const read: ValueReader['read'] = (payload, issues, label) => {
    const v = readNumber(src, payload, issues, label);
    if (typeof v !== 'number') return v;
    const value = conversion ? convert(v, conversion, decimals as number) : decimals === undefined ? v : round(v, decimals);
    return { valueQuantity: { value, unit, system: UCUM, code: unit } };
  };
  return { read, source: src };
}

type NumberSource = { kind: 'const'; value: number } | { kind: 'path'; src: Extractor };

function compileSampledData(spec: SampledDataSpec, at: DocPath, ctx: CompileContext): ValueReader {
  const src = compileSource(spec, at, ctx);
  if (src.isConst) throw definitionError(ctx, [...at, 'const'], 'sampledData reads its samples from the payload (path or expression)');
  checkUnit(spec.origin.unit, [...at, 'origin', 'unit'], ctx);
  if ((spec.periodMs === undefined) === (spec.frequencyHz === undefined)) {
    throw definitionError(ctx, at, 'sampledData needs exactly one of periodMs, frequencyHz');
  }
  const byHz = spec.frequencyHz !== undefined;
  const key = byHz ? 'frequencyHz' : 'periodMs';
  const raw = (spec.frequencyHz ?? spec.periodMs) as number | string;
  const rate: NumberSource = typeof raw === 'number' ? { kind: 'const', value: raw } : { kind: 'path', src: compileSource(raw, [...at, key], ctx) };
  const dimensions = spec.dimensions ?? 1;
  const origin: Quantity = { value: spec.origin.value, unit: spec.origin.unit, system: UCUM, code: spec.origin.unit };
  const fixed = { factor: spec.factor, lowerLimit: spec.lowerLimit, upperLimit: spec.upperLimit };
  const read: ValueReader['read'] = (payload, issues, label) => {
    const data = readSamples(src, payload, issues, label, dimensions);
    if (data === 'absent' || data === 'error') return data;
    const r = rate.kind === 'const' ? rate.value : readNumber(rate.src, payload, issues, label);
    if (r === 'absent' && rate.kind === 'path') issues.add('required', `${label}: no ${key} at ${rate.src.text}`, rate.src.where);
    if (typeof r !== 'number') return 'error';
    if (r <= 0 && rate.kind === 'path') {
      issues.add('value', `${label}: ${key} must be > 0, got ${r}`, rate.src.where);
      return 'error';
    }
    // period in ms; from a frequency, 1000/Hz exactly, rounded to 6 decimals (nanoseconds).
    const period = byHz ? roundTo(rational(1000n * fromNumber(r).d, fromNumber(r).n), 6) : r;
    // Key order of the R4 SampledData definition: origin, period, factor, lowerLimit, upperLimit, dimensions, data.
    const sd = { origin, period } as SampledData;
    if (fixed.factor !== undefined) sd.factor = fixed.factor;
    if (fixed.lowerLimit !== undefined) sd.lowerLimit = fixed.lowerLimit;
    if (fixed.upperLimit !== undefined) sd.upperLimit = fixed.upperLimit;
    sd.dimensions = dimensions;
    sd.data = data;
    return { valueSampledData: sd };
  };
  return { read, source: src };
}

/** Samples: a non-empty array of finite numbers, a multiple of `dimensions` long → "v1 v2 …". */
function readSamples(src: Extractor, payload: unknown, issues: RunIssues, label: string, dimensions: number): string | 'absent' | 'error' {
  const v = src.read(payload);
  if (isAbsent(v)) return 'absent';
  if (!Array.isArray(v) || v.length === 0) {
    issues.add('value', `${label}: expected a non-empty array of numbers at ${src.text}`, src.where);
    return 'error';
  }
  const bad = v.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
  if (bad >= 0) {
    issues.add('value', `${label}: sample ${bad} at ${src.text} is not a finite number`, `${src.where}[${bad}]`);
    return 'error';
  }
  if (v.length % dimensions !== 0) {
    issues.add('value', `${label}: ${v.length} samples is not a multiple of ${dimensions} dimensions`, src.where);
    return 'error';
  }
  return (v as number[]).map(plainDecimal).join(' ');
}
