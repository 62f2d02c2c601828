import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { compileMapping } from './compile-mapping';
import { compileMedTechText, MEDTECH_FILES } from './medtech';
import { mappingError, parseMappingText } from './parse-mapping-text';
import type { CompiledMapping } from './types';

/**
 * Load and compile every mapping under `dir`, in name order:
 * - `<dir>/<family>/mapping.yaml` (or `.yml`, `.json`) and `<dir>/*.yaml|yml|json` — the bridge's language;
 * - `<dir>/<folder>/devicecontent.json` + `fhirmapping.json` — a MedTech template pair, id = the folder name.
 * The only module of this stage that touches the file system. Meant for start-up (and hot reload): any bad
 * file throws, naming file and line.
 * @throws FhirError `ERR_MAPPING_INVALID` whose message is `<file>:<line>: <reason>` (also for duplicate ids).
 * @example const mappings = loadMappings('mappings');
 */
export function loadMappings(dir: string): CompiledMapping[] {
  const out: CompiledMapping[] = [];
  for (const entry of mappingSources(dir)) {
    const mapping = loadMappingPath(entry);
    const twin = out.find((m) => m.id === mapping.id);
    if (twin) {
      const source = displayName(entry);
      const line = entry.endsWith('.json') || entry.endsWith('.yaml') || entry.endsWith('.yml') ? parseMappingText(readFileSync(entry, 'utf8'), source).lines(['id']) : undefined;
      throw mappingError(source, line, `id: duplicate mapping id "${mapping.id}" (also in ${twin.source})`, 'id');
    }
    out.push(mapping);
  }
  return out;
}

const displayName = (file: string): string => relative(process.cwd(), file) || file;

/**
 * One mapping from a path: a mapping file, a family folder holding `mapping.yaml`, or a MedTech folder.
 * @throws FhirError `ERR_MAPPING_INVALID` (also when the path holds no mapping).
 */
export function loadMappingPath(path: string): CompiledMapping {
  if (statSync(path).isDirectory()) {
    const own = familyFile(path);
    if (own) return loadMappingPath(own);
    if (!isMedTechFolder(path)) throw mappingError(displayName(path), undefined, `no mapping here (expected mapping.yaml, or ${MEDTECH_FILES.deviceContent} + ${MEDTECH_FILES.fhirMapping})`);
    const file = (name: string) => ({ text: readFileSync(join(path, name), 'utf8'), source: displayName(join(path, name)) });
    return compileMedTechText({ id: medtechId(path), deviceContent: file(MEDTECH_FILES.deviceContent), fhirMapping: file(MEDTECH_FILES.fhirMapping) });
  }
  const source = displayName(path);
  const { doc, lines } = parseMappingText(readFileSync(path, 'utf8'), source);
  return compileMapping(doc, source, lines);
}

/** A MedTech folder's mapping id: its name in lower case, other characters as `-` (`healthkitOnFhir` → `healthkitonfhir`). */
export const medtechId = (folder: string): string => basename(folder).toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 64);

const isMedTechFolder = (dir: string): boolean => existsSync(join(dir, MEDTECH_FILES.deviceContent)) && existsSync(join(dir, MEDTECH_FILES.fhirMapping));

function familyFile(dir: string): string | undefined {
  return ['mapping.yaml', 'mapping.yml', 'mapping.json'].map((f) => join(dir, f)).find((f) => existsSync(f));
}

/** Mapping files and MedTech folders of a directory, sorted so that load (and match) order is stable. */
export function mappingSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      const own = familyFile(full);
      if (own) out.push(own);
      else if (isMedTechFolder(full)) out.push(full);
    } else if (/\.(ya?ml|json)$/i.test(name)) {
      out.push(full);
    }
  }
  return out;
}

/** The bridge-language mapping files of a directory (MedTech folders left out). */
export function mappingFiles(dir: string): string[] {
  return mappingSources(dir).filter((f) => !statSync(f).isDirectory());
}
