import { parseMappingText } from '../parse-mapping-text';
import type { CompiledMapping } from '../types';
import { compileMedTech } from './compile-medtech';

export { compileMedTech, toEnvelope, type MedTechSources } from './compile-medtech';
export { MEDTECH_SYSTEM, MEDTECH_DEVICE_ID_SYSTEM } from './identity';
export { mergeObservations, mergeWithStored } from './merge-observation';

/** The two file names of a MedTech template folder. */
export const MEDTECH_FILES = { deviceContent: 'devicecontent.json', fhirMapping: 'fhirmapping.json' } as const;

export interface MedTechText {
  /** Mapping id, e.g. the folder name. */
  readonly id: string;
  readonly deviceContent: { readonly text: string; readonly source: string };
  readonly fhirMapping: { readonly text: string; readonly source: string };
}

/**
 * Parse and compile a MedTech template pair from text (pure: the caller reads the files, or they come from a
 * `POST /mappings/$test`). A UTF-8 byte-order mark, as MedTech's samples carry, is ignored.
 * @throws FhirError ERR_MAPPING_INVALID naming file and line.
 * @example compileMedTechText({ id: 'basic', deviceContent: { text, source: 'basic/devicecontent.json' }, fhirMapping: { … } })
 */
export function compileMedTechText(src: MedTechText): CompiledMapping {
  const parse = (f: { text: string; source: string }) => {
    const { doc, lines } = parseMappingText(f.text.replace(/^\uFEFF/, ''), f.source);
    return { doc, ctx: { source: f.source, lines } };
  };
  return compileMedTech({ id: src.id, deviceContent: parse(src.deviceContent), fhirMapping: parse(src.fhirMapping) });
}
