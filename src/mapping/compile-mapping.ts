import type { Observation } from 'fhir/r4';
import { FhirError } from '../errors/fhir-error';
import type { CompiledMapping, MapInput, MapOutput } from './types';
import { checkSchema } from './check-schema';
import { compileMatch, matchPayload } from './compile-match';
import { compileMessageId, compileTimestamp, compileZone, type MessageIdReader, type TimestampReader } from './compile-message';
import { compileSubject } from './resolve-subject';
import { compileDevice } from './compile-device';
import { compileObservation, type ObservationBuilder } from './compile-observation';
import { definitionError, docPathText, type CompileContext } from './compile-context';
import { compileEach, type EachReader } from './compile-each';
import { RunIssues } from './run-issues';
import type { Trace } from './trace';
import type { LineLookup } from './parse-mapping-text';
import type { CodingSpec, MappingDocument } from './mapping-document';

/** A payload that produced no Observation at all (every observation optional and absent). */
export const ERR_MAPPING_EMPTY = 'ERR_MAPPING_EMPTY';

interface Compiled {
  readonly id: string;
  readonly timestamp: TimestampReader;
  readonly messageId: MessageIdReader;
  readonly each?: EachReader;
  readonly observations: readonly ObservationBuilder[];
}

/**
 * Check and compile one mapping document (already parsed from YAML/JSON). Everything that can be checked
 * without a payload is checked here — schema, expressions (JSONPath, JMESPath, functions), time zone, UCUM units
 * and conversions, code maps — so a bad mapping stops start-up instead of failing on the first reading.
 * @param source file name used in error messages.
 * @param lines line lookup from {@link parseMappingText}; without it errors name the file only.
 * @throws FhirError `ERR_MAPPING_INVALID`, message `<source>:<line>: <where>: <reason>`.
 * @example
 * const { doc, lines } = parseMappingText(text, file);
 * const mapping = compileMapping(doc, file, lines);
 * const { device, observations } = mapping.map({ payload, device: { deviceId: 'dev-1', patient: 'Patient/p1' } });
 */
export function compileMapping(doc: unknown, source: string, lines?: LineLookup): CompiledMapping {
  const ctx: CompileContext = { source, lines };
  const spec = checkSchema(doc, ctx);
  const matches = matchPayload(compileMatch(spec.match, ['match'], ctx));
  const zone = compileZone(spec.timezone, ['timezone'], ctx);
  const subject = compileSubject(spec.subject, ['subject'], ctx);
  const device = compileDevice(spec.device, ['device'], ctx);
  checkDistinctCodes(spec, ctx);
  const c: Compiled = {
    id: spec.id,
    timestamp: compileTimestamp(spec.message.timestamp, ['message', 'timestamp'], ctx, zone),
    messageId: compileMessageId(spec.message.id, ['message', 'id'], ctx),
    each: spec.each === undefined ? undefined : compileEach(spec.each, ['each'], ctx),
    observations: spec.observations.map((o, i) => compileObservation(o, ['observations', i], ctx, zone)),
  };
  const map = (input: MapInput, trace?: Trace): MapOutput => {
    const run = new RunIssues(input.location, input.payload, trace);
    const { deviceId } = input.device;
    const patient = subject(run, input.device.patient);
    const id = c.messageId(run);
    const out = device(run, deviceId, patient);
    run.throwIfAny();
    const obs = readings(c, run, { deviceId, patient, messageId: id });
    run.throwIfAny();
    if (obs.length === 0) {
      throw FhirError.of(ERR_MAPPING_EMPTY, {
        code: 'required',
        text: `mapping "${spec.id}": the payload carries none of the readings this mapping expects`,
        expression: run.at(''),
      }, { status: 422 });
    }
    return { device: out, observations: obs };
  };
  return Object.freeze({ id: spec.id, title: spec.title, source, kind: 'iomt' as const, matches, map });
}

/**
 * Every reading (the item itself, or each node `each` selects) → its observations. Identifier keys: the
 * message id (`#<index>` added inside a batch) or the reading's UTC time; two observations with one identifier
 * in one payload are an error rather than a silent overwrite.
 */
function readings(c: Compiled, run: RunIssues, m: { deviceId: string; patient: string; messageId?: string }): Observation[] {
  const batch = c.each ? c.each(run) : [{ value: run.root, loc: '' }];
  const out: Observation[] = [];
  const seen = new Map<string, string>();
  batch.forEach((reading, index) => {
    run.enter(reading.value, reading.loc);
    if (c.each) run.trace?.push({ step: 'reading', at: reading.loc, note: `reading ${index + 1} of ${batch.length}` });
    // A reading no observation applies to (`when`) is left out; it never needs a timestamp.
    const applicable = c.observations.filter((b) => b.applies(run));
    if (applicable.length === 0) return;
    const ts = c.timestamp(run);
    if (!ts) return;
    const key = m.messageId === undefined ? ts.utc : c.each ? `${m.messageId}#${index}` : m.messageId;
    for (const b of applicable) {
      const o = b.build({ run, deviceId: m.deviceId, subject: m.patient, effective: ts.effective, key });
      if (!o) continue;
      const twin = seen.get(o.id as string);
      if (twin !== undefined) {
        run.add('duplicate', `two readings give ${o.identifier?.[0]?.value} (also at ${twin || '$'}): add a message id, or distinct timestamps`, reading.loc === '' ? '' : `@`);
        continue;
      }
      seen.set(o.id as string, reading.loc);
      out.push(o);
    }
  });
  run.enter(run.root, '');
  return out;
}

/** Two observations with one code would share a deterministic identifier — and overwrite each other. */
function checkDistinctCodes(spec: MappingDocument, ctx: CompileContext): void {
  const seen = new Map<string, number>();
  spec.observations.forEach((o, i) => {
    const key = (Array.isArray(o.code) ? (o.code[0] as CodingSpec) : o.code).code;
    const first = seen.get(key);
    if (first !== undefined) {
      throw definitionError(ctx, ['observations', i, 'code'], `code ${key} is already used by ${docPathText(['observations', first])} (identifiers would collide)`);
    }
    seen.set(key, i);
  });
}
