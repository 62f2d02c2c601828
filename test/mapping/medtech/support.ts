import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation } from 'fhir/r4';
import { FhirError } from '../../../src/errors/fhir-error';
import { compileMedTechText } from '../../../src/mapping/medtech';
import type { TraceStep } from '../../../src/mapping/trace';
import type { CompiledMapping, DeviceContext, MapOutput } from '../../../src/mapping/types';
import { createValidator, loadDefinitions } from '../../../src/validation';
import { anchor } from '../../support/anchors';

/** MedTech's own samples, unchanged (see the README there). */
export const ANCHORS = anchor('medtech');
export const FIXTURES = join(__dirname, 'fixtures');
export const validator = createValidator(loadDefinitions({ profilesDir: join(__dirname, '..', '..', '..', 'profiles') }));

export const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
export const message = (name: string): unknown => readJson(join(ANCHORS, 'messages', name));

/** A MedTech pair from two files (the documentation templates come without a FHIR mapping: tests supply one). */
export function pair(id: string, deviceContent: string, fhirMapping: string): CompiledMapping {
  return compileMedTechText({
    id,
    deviceContent: { text: readFileSync(deviceContent, 'utf8'), source: deviceContent.replace(/^.*\/(shared|test)\//, '') },
    fhirMapping: { text: readFileSync(fhirMapping, 'utf8'), source: fhirMapping.replace(/^.*\/(shared|test)\//, '') },
  });
}

/** Map with a trace; returns the output and the normalised measurements MedTech's first stage would emit. */
export function mapTraced(mapping: CompiledMapping, payload: unknown, device: DeviceContext = { deviceId: 'gw-1' }): { out: MapOutput; measurements: unknown[]; trace: TraceStep[] } {
  const trace: TraceStep[] = [];
  const out = mapping.map({ payload, device }, trace);
  return { out, measurements: trace.filter((s) => s.step === 'reading').map((s) => s.value), trace };
}

export function failure(f: () => unknown): FhirError {
  try {
    f();
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('no error');
}

export const byType = (obs: Observation[], type: string): Observation => {
  const o = obs.find((x) => x.code.text === type);
  if (!o) throw new Error(`no ${type} observation among ${obs.map((x) => x.code.text).join(', ')}`);
  return o;
};

/** SampledData tokens that are not E, as slot index → value. */
export const filledSlots = (data: string | undefined): Record<number, string> =>
  Object.fromEntries((data ?? '').split(' ').flatMap((v, i) => (v === 'E' ? [] : [[i, v]])));
