import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compileMapping } from './compile-mapping';
import { mappingError, parseMappingText } from './parse-mapping-text';
import type { CompiledMapping } from './types';

/**
 * Load and compile every mapping under `dir`: `<dir>/<family>/mapping.yaml` (or `mapping.json`) and
 * `<dir>/*.yaml|yml|json`, in name order. The only module of this stage that touches the file system.
 * Meant for start-up: any bad file throws, and the error stops the process.
 * @throws FhirError `ERR_MAPPING_INVALID` whose message is `<file>:<line>: <reason>` (also for duplicate ids).
 * @example const mappings = loadMappings('mappings');
 */
export function loadMappings(dir: string): CompiledMapping[] {
  const out: CompiledMapping[] = [];
  for (const file of mappingFiles(dir)) {
    const source = relative(process.cwd(), file) || file;
    const { doc, lines } = parseMappingText(readFileSync(file, 'utf8'), source);
    const mapping = compileMapping(doc, source, lines);
    const twin = out.find((m) => m.id === mapping.id);
    if (twin) throw mappingError(source, lines(['id']), `id: duplicate mapping id "${mapping.id}" (also in ${twin.source})`, 'id');
    out.push(mapping);
  }
  return out;
}

/** The mapping files of a directory, sorted so that load (and match) order is stable. */
export function mappingFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      const found = ['mapping.yaml', 'mapping.yml', 'mapping.json'].map((f) => join(full, f)).filter((f) => existsSync(f));
      files.push(...found);
    } else if (/\.(ya?ml|json)$/i.test(name)) {
      files.push(full);
    }
  }
  return files;
}
