import { compileSource, isAbsent, type Extractor } from './compile-source';
import { definitionError, type CompileContext } from './compile-context';
import { fromEpoch, ianaZone, parseIsoTimestamp, TimestampError, type Timestamp, type Zone } from './date-time';
import type { DocPath } from './parse-mapping-text';
import type { SourceSpec, TimestampFormat, TimestampSpec } from './mapping-document';
import type { RunIssues } from './run-issues';

/** Reads the timestamp in the run's scope (`$` the item, `@` the current reading). */
export type TimestampReader = (run: RunIssues) => Timestamp | undefined;
export type MessageIdReader = (run: RunIssues) => string | undefined;

/** Compile the mapping's IANA zone. @throws definition error for a zone Intl does not know. */
export function compileZone(name: string | undefined, at: DocPath, ctx: CompileContext): Zone | undefined {
  if (name === undefined) return undefined;
  try {
    return ianaZone(name);
  } catch {
    throw definitionError(ctx, at, `"${name}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`);
  }
}

/**
 * The message timestamp is required: every Observation needs effective[x] (vital-signs profiles: 1..1).
 * iso8601 (default): offset kept, otherwise the mapping zone; epoch-s / epoch-ms: numbers, rendered in UTC.
 */
export function compileTimestamp(spec: TimestampSpec, at: DocPath, ctx: CompileContext, zone: Zone | undefined): TimestampReader {
  const format: TimestampFormat = typeof spec === 'string' ? 'iso8601' : (spec.format ?? 'iso8601');
  const keys = typeof spec === 'string' ? spec : { path: spec.path, expression: spec.expression, language: spec.language, const: spec.const };
  const src = compileSource(keys, at, ctx);
  if (src.isConst) throw definitionError(ctx, at, 'the timestamp must come from the payload');
  return (issues) => {
    const v = src.read(issues);
    if (isAbsent(v)) {
      issues.add('required', `the timestamp is missing (nothing at ${src.text})`, src.where);
      return undefined;
    }
    try {
      if (format === 'iso8601') {
        if (typeof v !== 'string') throw new TimestampError(`expected an ISO 8601 string, got ${typeof v}`);
        return parseIsoTimestamp(v, zone);
      }
      if (typeof v !== 'number') throw new TimestampError(`expected a number (${format}), got ${typeof v}`);
      return fromEpoch(v, format === 'epoch-s' ? 's' : 'ms');
    } catch (e) {
      if (!(e instanceof TimestampError)) throw e;
      issues.add('value', `unusable timestamp at ${src.text}: ${e.message}`, src.where);
      return undefined;
    }
  };
}

const MAX_ID = 128;

/** Optional message id: a non-empty string (≤ 128 chars, no control characters) or an integer. */
export function compileMessageId(spec: SourceSpec | undefined, at: DocPath, ctx: CompileContext): MessageIdReader {
  if (spec === undefined) return () => undefined;
  const src: Extractor = compileSource(spec, at, ctx);
  return (issues) => {
    const v = src.read(issues);
    if (isAbsent(v)) return undefined;
    if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected here
    if (typeof v === 'string' && v.length > 0 && v.length <= MAX_ID && !/[\u0000-\u001f\u007f]/.test(v)) return v;
    issues.add('value', `message id at ${src.text} must be a non-empty string (≤ ${MAX_ID} characters, no control characters) or an integer`, src.where);
    return undefined;
  };
}
