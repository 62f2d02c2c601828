import type { CodeSystem, StructureDefinition, ValueSet } from 'fhir/r4';

/**
 * The conformance resources a validator is built from: plain data, already parsed.
 * `loadDefinitions` reads them from disk at boot; tests may build one by hand.
 * Later entries win when two StructureDefinitions share a canonical URL (a local profile may override a core one).
 */
export interface DefinitionSet {
  /** Base types, resources and profiles; every one must carry a `snapshot`. */
  readonly structureDefinitions: readonly StructureDefinition[];
  readonly valueSets: readonly ValueSet[];
  readonly codeSystems: readonly CodeSystem[];
}
