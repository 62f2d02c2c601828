import type { Device } from 'fhir/r4';
import { FhirError } from '../../errors/fhir-error';
import { ERR_MAPPING_EMPTY } from '../compile-mapping';
import type { CompileContext } from '../compile-context';
import { DEVICE_IDENTIFIER_SYSTEM } from '../compile-device';
import { RunIssues } from '../run-issues';
import type { Trace } from '../trace';
import type { CompiledMapping, MapInput, MapOutput } from '../types';
import { buildObservations } from './build-observations';
import { checkFhirMapping } from './fhir-templates';
import { MEDTECH_DEVICE_ID_SYSTEM } from './identity';
import { compileDeviceContent } from './normalize';
import { checkDeviceContent } from './templates';

/** The two parsed template files of a MedTech folder, with their compile contexts (file + line lookup). */
export interface MedTechSources {
  /** Mapping id (the folder name, kebab-case). */
  readonly id: string;
  readonly deviceContent: { readonly doc: unknown; readonly ctx: CompileContext };
  readonly fhirMapping: { readonly doc: unknown; readonly ctx: CompileContext };
}

const ENVELOPE_KEYS = new Set(['Body', 'Properties', 'SystemProperties']);

/**
 * Every MedTech expression runs on `{Body, Properties, SystemProperties}` (EventMessageJObjectConverter). A
 * payload already in that shape is used as it is; any other JSON becomes its `Body`.
 */
export function toEnvelope(payload: unknown): { envelope: unknown; wrapped: boolean } {
  const isEnvelope = payload !== null && typeof payload === 'object' && !Array.isArray(payload) && 'Body' in payload && Object.keys(payload).every((k) => ENVELOPE_KEYS.has(k));
  return isEnvelope ? { envelope: payload, wrapped: false } : { envelope: { Body: payload, Properties: {}, SystemProperties: {} }, wrapped: true };
}

/** Issue locations name the sender's payload: `Body.x` of a wrapped payload is `x`. */
const payloadLoc = (wrapped: boolean) => (loc: string): string => (!wrapped ? loc : loc === 'Body' ? '' : loc.startsWith('Body.') ? loc.slice(5) : loc.startsWith('Body[') ? loc.slice(4) : loc);

/**
 * Compile a MedTech template pair (devicecontent.json + fhirmapping.json) into the same CompiledMapping the
 * bridge's own mappings compile to, so ingest, the dry run and the debugger run it unchanged.
 * @throws FhirError ERR_MAPPING_INVALID with file and line.
 */
export function compileMedTech(src: MedTechSources): CompiledMapping {
  const { normalize, matches: anyTemplate } = compileDeviceContent(checkDeviceContent(src.deviceContent.doc, src.deviceContent.ctx), src.deviceContent.ctx);
  const warnings: string[] = [];
  const templates = checkFhirMapping(src.fhirMapping.doc, src.fhirMapping.ctx, warnings);
  const matches = (payload: unknown): boolean => anyTemplate(toEnvelope(payload).envelope);
  const map = (input: MapInput, trace?: Trace): MapOutput => {
    const issues = new RunIssues(input.location);
    const { envelope, wrapped } = toEnvelope(input.payload);
    const measurements = normalize(envelope, issues, trace, payloadLoc(wrapped));
    issues.throwIfAny();
    const observations = buildObservations(measurements, templates, { deviceId: input.device.deviceId, registryPatient: input.device.patient, issues, trace });
    issues.throwIfAny();
    if (observations.length === 0) {
      throw FhirError.of(ERR_MAPPING_EMPTY, { code: 'required', text: `MedTech mapping "${src.id}": no device template matched this message`, expression: issues.at('') }, { status: 422 });
    }
    const patients = [...new Set(observations.map((o) => o.subject?.reference as string))];
    return { device: device(input.device.deviceId, input.device.patient ?? (patients.length === 1 ? patients[0] : undefined), [...new Set(measurements.map((m) => m.deviceId))]), observations };
  };
  return Object.freeze({ id: src.id, title: `MedTech templates ${src.id}`, source: src.deviceContent.ctx.source, kind: 'medtech' as const, warnings: Object.freeze(warnings), matches, map });
}

/** The registry device (the authenticated sender); the message's device ids are kept as identifiers. */
function device(id: string, patient: string | undefined, messageDeviceIds: string[]): Device {
  const d: Device = { resourceType: 'Device', id, identifier: [{ system: DEVICE_IDENTIFIER_SYSTEM, value: id }, ...messageDeviceIds.map((value) => ({ system: MEDTECH_DEVICE_ID_SYSTEM, value }))], status: 'active' };
  if (patient) d.patient = { reference: patient };
  return d;
}
