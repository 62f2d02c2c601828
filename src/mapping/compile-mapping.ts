import type { Observation } from 'fhir/r4';
import { FhirError } from '../errors/fhir-error';
import type { CompiledMapping, MapInput, MapOutput } from './types';
import { checkSchema } from './check-schema';
import { compileMatch } from './compile-match';
import { compileMessageId, compileTimestamp, compileZone } from './compile-message';
import { compileSubject } from './resolve-subject';
import { compileDevice } from './compile-device';
import { compileObservation, type ObservationBuilder } from './compile-observation';
import { definitionError, type CompileContext } from './compile-context';
import { RunIssues } from './run-issues';
import type { LineLookup } from './parse-mapping-text';
import type { MappingDocument } from './mapping-document';

/** A payload that produced no Observation at all (every observation optional and absent). */
export const ERR_MAPPING_EMPTY = 'ERR_MAPPING_EMPTY';

/**
 * Check and compile one mapping document (already parsed from YAML/JSON). Everything that can be checked
 * without a payload is checked here — schema, JSONPaths, time zone, UCUM units and conversions — so a bad
 * mapping stops start-up instead of failing on the first reading.
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
  const matches = compileMatch(spec.match, ['match'], ctx);
  const zone = compileZone(spec.timezone, ['timezone'], ctx);
  const timestamp = compileTimestamp(spec.message.timestamp, ['message', 'timestamp'], ctx, zone);
  const messageId = compileMessageId(spec.message.id, ['message', 'id'], ctx);
  const subject = compileSubject(spec.subject, ['subject'], ctx);
  const device = compileDevice(spec.device, ['device'], ctx);
  checkDistinctCodes(spec, ctx);
  const observations = spec.observations.map((o, i) => compileObservation(o, ['observations', i], ctx));

  const map = (input: MapInput): MapOutput => {
    const issues = new RunIssues(input.location);
    const { deviceId } = input.device;
    const patient = subject(input.payload, input.device.patient, issues);
    const ts = timestamp(input.payload, issues);
    const id = messageId(input.payload, issues);
    const out = device(input.payload, deviceId, patient, issues);
    issues.throwIfAny();
    const run = { payload: input.payload, deviceId, subject: patient, effective: (ts as NonNullable<typeof ts>).effective, key: id ?? (ts as NonNullable<typeof ts>).utc, issues };
    const obs = runObservations(observations, run);
    issues.throwIfAny();
    if (obs.length === 0) {
      throw FhirError.of(ERR_MAPPING_EMPTY, {
        code: 'required',
        text: `mapping "${spec.id}": the payload carries none of the readings this mapping expects`,
        expression: issues.at(''),
      }, { status: 422 });
    }
    return { device: out, observations: obs };
  };
  return Object.freeze({ id: spec.id, title: spec.title, source, matches, map });
}

function runObservations(builders: ObservationBuilder[], run: Parameters<ObservationBuilder>[0]): Observation[] {
  const out: Observation[] = [];
  for (const build of builders) {
    const o = build(run);
    if (o) out.push(o);
  }
  return out;
}

/** Two observations with one code would share a deterministic identifier — and overwrite each other. */
function checkDistinctCodes(spec: MappingDocument, ctx: CompileContext): void {
  const seen = new Map<string, number>();
  spec.observations.forEach((o, i) => {
    const key = o.code.code;
    const first = seen.get(key);
    if (first !== undefined) {
      throw definitionError(ctx, ['observations', i, 'code'], `code ${o.code.code} is already used by observations[${first}] (identifiers would collide)`);
    }
    seen.set(key, i);
  });
}
