import type { OperationOutcome, Resource, StructureDefinition } from 'fhir/r4';
import { outcomeOf } from '../errors/fhir-error';
import { checkResource, type BaseContext } from './base-check';
import type { DefinitionSet } from './definition-set';
import { Issues } from './issues';
import type { ValidateOptions, Validator } from './port';
import { compilePrimitives } from './primitives';
import { checkProfile } from './profile-check';
import { compileProfile, type CompiledProfile } from './profile-model';
import { deriveVitalSigns, mostSpecific, requestedProfiles, type VitalSignsMap } from './profile-selection';
import { compileStructure, type TypeModel } from './type-model';
import { ValueSetIndex } from './value-sets';

interface Engine {
  readonly ctx: BaseContext;
  /** Canonical URLs of the core types themselves (`…/StructureDefinition/Observation`): nothing to add. */
  readonly coreUrls: ReadonlySet<string>;
  readonly profiles: ReadonlyMap<string, CompiledProfile>;
  readonly vitals: VitalSignsMap;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Builds the validator: every base type and every profile is compiled here, once; `validate` then only walks
 * the instance. Pure: the definitions are handed in (see `loadDefinitions`).
 *
 * @example
 * const validator = createValidator(loadDefinitions({ profilesDir: 'profiles' }));
 * const outcome = validator.validate(observation); // OperationOutcome; hasErrors(outcome) tells the verdict
 */
export function createValidator(defs: DefinitionSet): Validator {
  const engine = compileEngine(defs);
  return {
    validate: (resource: Resource, options?: ValidateOptions): OperationOutcome => validate(engine, resource, options),
  };
}

function compileEngine(defs: DefinitionSet): Engine {
  const sds = new Map<string, StructureDefinition>();
  for (const sd of defs.structureDefinitions) sds.set(sd.url, sd);
  const core = [...sds.values()].filter((sd) => sd.derivation !== 'constraint' && sd.kind !== 'logical');
  const models = new Map<string, TypeModel>();
  const baseIndex = new Map<string, NonNullable<StructureDefinition['snapshot']>['element'][number]>();
  for (const sd of core) {
    for (const el of sd.snapshot?.element ?? []) baseIndex.set(el.path, el);
    if (sd.kind !== 'primitive-type') models.set(sd.type, compileStructure(sd));
  }
  const valueSets = new ValueSetIndex(defs.valueSets, defs.codeSystems);
  const ctx: BaseContext = { models, primitives: compilePrimitives(core), valueSets };
  const profiles = new Map<string, CompiledProfile>();
  for (const sd of sds.values()) {
    if (sd.derivation === 'constraint' && sd.kind !== 'logical') profiles.set(sd.url, compileProfile(sd, baseIndex, lineage(sd, sds)));
  }
  const vitals = deriveVitalSigns(sds, profiles, valueSets);
  return { ctx, coreUrls: new Set(core.map((sd) => sd.url)), profiles, vitals };
}

/** The profile and its constraint ancestors, following baseDefinition. */
function lineage(sd: StructureDefinition, sds: ReadonlyMap<string, StructureDefinition>): Set<string> {
  const out = new Set<string>();
  for (let at: StructureDefinition | undefined = sd; at && !out.has(at.url); at = sds.get(at.baseDefinition ?? '')) {
    if (at.derivation !== 'constraint') break;
    out.add(at.url);
  }
  return out;
}

function validate(engine: Engine, resource: Resource, options: ValidateOptions | undefined): OperationOutcome {
  const issues = new Issues();
  const value: unknown = resource;
  checkResource(engine.ctx, issues, value, '');
  if (isObject(value) && typeof value.resourceType === 'string' && engine.ctx.models.get(value.resourceType)?.isResource) {
    applyProfiles(engine, issues, value, value.resourceType, options?.profiles);
  }
  if (issues.list.length === 0) {
    return outcomeOf([{ severity: 'information', code: 'informational', text: 'Validation successful' }]);
  }
  return outcomeOf(issues.list);
}

function applyProfiles(engine: Engine, issues: Issues, resource: Json, type: string, extra: string[] | undefined): void {
  const applicable: CompiledProfile[] = [];
  for (const url of requestedProfiles(resource, engine.vitals, extra)) {
    if (engine.coreUrls.has(url)) continue;
    const profile = engine.profiles.get(url);
    if (profile === undefined) {
      issues.warning('not-supported', `Profile ${url} is unknown to this server; it was not checked`, profileExpr(resource, type, url));
    } else if (profile.type !== type) {
      issues.error('invalid', `Profile ${url} constrains ${profile.type}, not ${type}`, profileExpr(resource, type, url));
    } else {
      applicable.push(profile);
    }
  }
  for (const profile of mostSpecific(applicable)) checkProfile(engine.ctx, issues, profile, resource);
}

/** `Observation.meta.profile[i]` when the URL came from the resource, else the resource itself. */
function profileExpr(resource: Json, type: string, url: string): string {
  const listed = isObject(resource.meta) && Array.isArray(resource.meta.profile) ? resource.meta.profile : [];
  const i = listed.findIndex((p: unknown) => typeof p === 'string' && p.split('|')[0] === url);
  return i < 0 ? type : `${type}.meta.profile[${i}]`;
}
