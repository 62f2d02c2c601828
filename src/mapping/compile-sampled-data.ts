import type { Quantity, SampledData } from 'fhir/r4';
import { compileSource, isAbsent, ManyValues, type Extractor } from './compile-source';
import { definitionError, type CompileContext } from './compile-context';
import { checkUnit, readNumber, single, UCUM, type Read } from './compile-quantity';
import { fromNumber, plainDecimal, rational, roundTo } from './decimal';
import type { DocPath } from './parse-mapping-text';
import type { SampledDataSpec } from './mapping-document';
import type { RunIssues } from './run-issues';

type NumberSource = { kind: 'const'; value: number } | { kind: 'path'; src: Extractor };

export interface SampledDataReader {
  read(run: RunIssues, label: string): Read<SampledData>;
  readonly source: Extractor;
}

/**
 * SampledData from an array of samples. `null` is a gap (`E`), the strings `E`, `L`, `U` pass through, and with
 * lowerLimit / upperLimit a sample whose value (origin + factor · sample) lies outside becomes `L` / `U`.
 * See: https://hl7.org/fhir/R4/datatypes.html#SampledData
 */
export function compileSampledData(spec: SampledDataSpec, at: DocPath, ctx: CompileContext): SampledDataReader {
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
  const limits = { factor: spec.factor ?? 1, origin: spec.origin.value, lower: spec.lowerLimit, upper: spec.upperLimit };
  const read: SampledDataReader['read'] = (run, label) => {
    const data = readSamples(src, run, label, dimensions, limits);
    if (typeof data !== 'string') return data;
    const r = rate.kind === 'const' ? rate.value : readNumber(rate.src, run, label);
    if (r === 'absent' && rate.kind === 'path') run.add('required', `${label}: no ${key} at ${rate.src.text}`, rate.src.where);
    if (typeof r !== 'number') return 'error';
    if (r <= 0 && rate.kind === 'path') {
      run.add('value', `${label}: ${key} must be > 0, got ${r}`, rate.src.where);
      return 'error';
    }
    // period in ms; from a frequency, 1000/Hz exactly, rounded to 6 decimals (nanoseconds).
    const period = byHz ? roundTo(rational(1000n * fromNumber(r).d, fromNumber(r).n), 6) : r;
    // Key order of the R4 SampledData definition: origin, period, factor, lowerLimit, upperLimit, dimensions, data.
    const sd = { origin, period } as SampledData;
    if (spec.factor !== undefined) sd.factor = spec.factor;
    if (spec.lowerLimit !== undefined) sd.lowerLimit = spec.lowerLimit;
    if (spec.upperLimit !== undefined) sd.upperLimit = spec.upperLimit;
    sd.dimensions = dimensions;
    sd.data = data;
    return sd;
  };
  return { read, source: src };
}

interface Limits {
  factor: number;
  origin: number;
  lower?: number;
  upper?: number;
}

/** One sample → its data token, or undefined when it is not usable. */
function token(x: unknown, l: Limits): string | undefined {
  if (x === null) return 'E';
  if (x === 'E' || x === 'L' || x === 'U') return x;
  if (typeof x !== 'number' || !Number.isFinite(x)) return undefined;
  const physical = l.origin + l.factor * x;
  if (l.lower !== undefined && physical < l.lower) return 'L';
  if (l.upper !== undefined && physical > l.upper) return 'U';
  return plainDecimal(x);
}

/** Samples: a non-empty array, a multiple of `dimensions` long → "v1 v2 …". */
function readSamples(src: Extractor, run: RunIssues, label: string, dimensions: number, limits: Limits): Read<string> {
  const v = single(src, run, label);
  if (v instanceof ManyValues) return 'error';
  if (isAbsent(v)) return 'absent';
  if (!Array.isArray(v) || v.length === 0) {
    run.add('value', `${label}: expected a non-empty array of numbers at ${src.text}`, src.where);
    return 'error';
  }
  const tokens = v.map((x) => token(x, limits));
  const bad = tokens.findIndex((t) => t === undefined);
  if (bad >= 0) {
    run.add('value', `${label}: sample ${bad} at ${src.text} is not a finite number, null, "E", "L" or "U"`, `${src.where}[${bad}]`);
    return 'error';
  }
  if (v.length % dimensions !== 0) {
    run.add('value', `${label}: ${v.length} samples is not a multiple of ${dimensions} dimensions`, src.where);
    return 'error';
  }
  return tokens.join(' ');
}
