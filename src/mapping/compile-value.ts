import type { CodeableConcept, Coding, Observation } from 'fhir/r4';
import { compileSource, isAbsent, ManyValues, type Extractor } from './compile-source';
import { definitionError, type CompileContext } from './compile-context';
import { compileQuantity, compileRange, compileRatio, single, type Read } from './compile-quantity';
import { compileSampledData } from './compile-sampled-data';
import { compileZone } from './compile-message';
import { fromEpoch, parseIsoTimestamp, TimestampError, type Zone } from './date-time';
import type { DocPath } from './parse-mapping-text';
import type { CodeMapSpec, CodingSpec, DateTimeSpec, ValueSpec } from './mapping-document';
import type { RunIssues } from './run-issues';

export { UCUM, readNumber } from './compile-quantity';

/** One value[x] of an Observation or component. See: https://hl7.org/fhir/R4/observation-definitions.html#Observation.value_x_ */
export type ValueOut = Pick<Observation, 'valueQuantity' | 'valueSampledData' | 'valueCodeableConcept' | 'valueString' | 'valueBoolean' | 'valueInteger' | 'valueDateTime' | 'valueRange' | 'valueRatio'>;

/** Reads one value[x] from a payload; 'absent' / 'nan' / 'error' (an issue was recorded) otherwise. */
export interface ValueReader {
  /** With `nanOk`, a number that is not one comes back as 'nan' (for dataAbsentReason) instead of an issue. */
  read(run: RunIssues, label: string, nanOk: boolean): Read<ValueOut>;
  /** Where the value comes from (for "missing" issues). */
  readonly source: Extractor;
}

export const coding = (c: CodingSpec): Coding => (c.display === undefined ? { system: c.system, code: c.code } : { system: c.system, code: c.code, display: c.display });

const wrap = <T, K extends keyof ValueOut>(key: K, r: Read<T>): Read<ValueOut> => (typeof r === 'string' && ['absent', 'nan', 'error'].includes(r) ? (r as 'absent') : ({ [key]: r } as ValueOut));

export function compileValue(spec: ValueSpec, at: DocPath, ctx: CompileContext, zone: Zone | undefined): ValueReader {
  if (spec.quantity) {
    const q = compileQuantity(spec.quantity, [...at, 'quantity'], ctx);
    return { source: q.source, read: (run, label, nanOk) => wrap('valueQuantity', q.read(run, label, nanOk)) };
  }
  if (spec.sampledData) {
    const s = compileSampledData(spec.sampledData, [...at, 'sampledData'], ctx);
    return { source: s.source, read: (run, label) => wrap('valueSampledData', s.read(run, label)) };
  }
  if (spec.range) {
    const r = compileRange(spec.range, [...at, 'range'], ctx);
    return { source: r.source, read: (run, label) => wrap('valueRange', r.readRange(run, label)) };
  }
  if (spec.ratio) {
    const r = compileRatio(spec.ratio, [...at, 'ratio'], ctx);
    return { source: r.source, read: (run, label) => wrap('valueRatio', r.readRatio(run, label)) };
  }
  if (spec.codeableConcept) return compileCodeMap(spec.codeableConcept, [...at, 'codeableConcept'], ctx);
  if (spec.dateTime) return compileDateTime(spec.dateTime, [...at, 'dateTime'], ctx, zone);
  if (spec.string) return compileSimple('valueString', spec.string, [...at, 'string'], ctx, (v) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined), 'a non-empty string');
  if (spec.boolean) return compileSimple('valueBoolean', spec.boolean, [...at, 'boolean'], ctx, (v) => (typeof v === 'boolean' ? v : undefined), 'true or false');
  if (spec.integer) return compileSimple('valueInteger', spec.integer, [...at, 'integer'], ctx, (v) => (Number.isSafeInteger(v) && Math.abs(v as number) <= 2147483647 ? (v as number) : undefined), 'a 32-bit integer');
  throw definitionError(ctx, at, 'value needs one of quantity, sampledData, codeableConcept, string, boolean, integer, dateTime, range, ratio');
}

/** Read one value that must not be several; undefined = absent, ManyValues = issue recorded. */
function one(src: Extractor, run: RunIssues, label: string): unknown {
  const v = single(src, run, label);
  return isAbsent(v) ? undefined : v;
}

function compileSimple<K extends 'valueString' | 'valueBoolean' | 'valueInteger'>(key: K, spec: object, at: DocPath, ctx: CompileContext, accept: (v: unknown) => ValueOut[K] | undefined, want: string): ValueReader {
  const src = compileSource(spec, at, ctx);
  return {
    source: src,
    read: (run, label, nanOk) => {
      const v = one(src, run, label);
      if (v === undefined) return 'absent';
      if (v instanceof ManyValues) return 'error';
      const out = accept(v);
      if (out !== undefined) return { [key]: out } as ValueOut;
      if (nanOk && key === 'valueInteger') return 'nan';
      run.add('value', `${label}: expected ${want} at ${src.text}, got ${JSON.stringify(v).slice(0, 60)}`, src.where);
      return 'error';
    },
  };
}

/** Device enums → codes: the device's value (as text) is looked up in `map`; unknown values need `default`. */
function compileCodeMap(spec: CodeMapSpec, at: DocPath, ctx: CompileContext): ValueReader {
  const src = compileSource({ path: spec.path, expression: spec.expression, language: spec.language, const: spec.const }, at, ctx);
  const map = new Map(Object.entries(spec.map).map(([k, c]) => [k, coding(c)]));
  const fallback = spec.default ? coding(spec.default) : undefined;
  return {
    source: src,
    read: (run, label) => {
      const v = one(src, run, label);
      if (v === undefined) return 'absent';
      if (v instanceof ManyValues) return 'error';
      const key = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
      const c = key === undefined ? undefined : (map.get(key) ?? fallback);
      if (!c) {
        run.add('code-invalid', `${label}: ${JSON.stringify(v).slice(0, 60)} at ${src.text} is not in the code map (known: ${[...map.keys()].join(', ')})`, src.where);
        return 'error';
      }
      const concept: CodeableConcept = { coding: [{ ...c }] };
      if (spec.text) concept.text = spec.text;
      return { valueCodeableConcept: concept };
    },
  };
}

function compileDateTime(spec: DateTimeSpec, at: DocPath, ctx: CompileContext, zone: Zone | undefined): ValueReader {
  const { format = 'iso8601', ...keys } = spec;
  const src = compileSource(keys, at, ctx);
  compileZone(zone?.name, at, ctx);
  return {
    source: src,
    read: (run, label) => {
      const v = one(src, run, label);
      if (v === undefined) return 'absent';
      if (v instanceof ManyValues) return 'error';
      try {
        if (format === 'iso8601') {
          if (typeof v !== 'string') throw new TimestampError(`expected an ISO 8601 string, got ${typeof v}`);
          return { valueDateTime: parseIsoTimestamp(v, zone).effective };
        }
        if (typeof v !== 'number') throw new TimestampError(`expected a number (${format}), got ${typeof v}`);
        return { valueDateTime: fromEpoch(v, format === 'epoch-s' ? 's' : 'ms').effective };
      } catch (e) {
        if (!(e instanceof TimestampError)) throw e;
        run.add('value', `${label}: ${e.message}`, src.where);
        return 'error';
      }
    },
  };
}
