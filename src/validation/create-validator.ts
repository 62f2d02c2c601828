import type { ElementDefinition, OperationOutcome, Resource, StructureDefinition } from 'fhir/r4';
import { outcomeOf } from '../errors/fhir-error';
import { checkResource, type BaseContext } from './base-check';
import type { DefinitionSet } from './definition-set';
import type { ExtensionDefinition } from './extension-check';
import { completeSnapshots, generateSnapshot } from './generate-snapshot';
import { Issues } from './issues';
import type { ValidateOptions, Validator } from './port';
import { compilePrimitives } from './primitives';
import { checkProfile } from './profile-check';
import { compileProfile, type CompiledProfile } from './profile-model';
import { deriveVitalSigns, mostSpecific, requestedProfiles, type VitalSignsMap } from './profile-selection';
import { compileStructure, linkModels, type TypeModel } from './type-model';
import type { ValidatorOptions } from './validator-options';
import { ValueSetIndex } from './value-sets';

interface Engine {
  readonly ctx: BaseContext;
  /** Canonical URLs of the core types themselves (`…/StructureDefinition/Observation`): nothing to add. */
  readonly coreUrls: ReadonlySet<string>;
  readonly baseIndex: BaseIndexMap;
  /** Every StructureDefinition by URL, for checking the differential of a StructureDefinition being validated. */
  readonly definitions: ReadonlyMap<string, StructureDefinition>;
  readonly profiles: ReadonlyMap<string, CompiledProfile>;
  readonly vitals: VitalSignsMap;
}

type BaseIndexMap = Map<string, ElementDefinition>;

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
export function createValidator(defs: DefinitionSet, options: ValidatorOptions = {}): Validator {
  return wrap(compileEngine(defs, options), defs);
}

/**
 * A validator that knows `extra` conformance resources (profiles, value sets, code systems) on top of those of
 * `validator`, sharing its compiled core: only the new profiles are compiled. Profiles given as a differential
 * get a snapshot. Used by the conformance runner, and by callers that receive profiles at run time.
 *
 * @throws Error when `validator` was not made by `createValidator`, or a differential cannot be expanded.
 */
export function extendValidator(validator: Validator, extra: Partial<DefinitionSet>, options?: ValidatorOptions): Validator {
  const known = ENGINES.get(validator);
  if (known === undefined) throw new Error('extendValidator: not a validator made by createValidator');
  const sds = completeSnapshots(extra.structureDefinitions ?? [], known.defs.structureDefinitions);
  const defs: DefinitionSet = {
    structureDefinitions: [...known.defs.structureDefinitions, ...sds],
    valueSets: [...known.defs.valueSets, ...(extra.valueSets ?? [])],
    codeSystems: [...known.defs.codeSystems, ...(extra.codeSystems ?? [])],
  };
  const fresh = (extra.valueSets?.length ?? 0) + (extra.codeSystems?.length ?? 0) > 0;
  const valueSets = fresh ? new ValueSetIndex(defs.valueSets, defs.codeSystems) : known.engine.ctx.valueSets;
  const ctx = { ...known.engine.ctx, valueSets, options: options ?? known.engine.ctx.options };
  return wrap(compileProfiles(defs, ctx, known.engine.coreUrls, known.engine.baseIndex), defs);
}

/** Engines by validator, so `extendValidator` can reuse the compiled core (no module state beyond this cache). */
const ENGINES = new WeakMap<Validator, { engine: Engine; defs: DefinitionSet }>();

function wrap(engine: Engine, defs: DefinitionSet): Validator {
  const validator: Validator = {
    validate: (resource: Resource, options?: ValidateOptions): OperationOutcome => validate(engine, resource, options),
  };
  ENGINES.set(validator, { engine, defs });
  return validator;
}

function compileEngine(defs: DefinitionSet, options: ValidatorOptions): Engine {
  const core = defs.structureDefinitions.filter((sd) => !isConstraint(sd) && sd.kind !== 'logical');
  const models = new Map<string, TypeModel>();
  const baseIndex: BaseIndexMap = new Map();
  for (const sd of core) {
    for (const el of sd.snapshot?.element ?? []) baseIndex.set(el.path, el);
    if (sd.kind !== 'primitive-type') models.set(sd.type, compileStructure(sd));
  }
  linkModels(models);
  const valueSets = new ValueSetIndex(defs.valueSets, defs.codeSystems);
  const ctx = { models, primitives: compilePrimitives(core), valueSets, options };
  return compileProfiles(defs, ctx, new Set(core.map((sd) => sd.url)), baseIndex);
}

function compileProfiles(defs: DefinitionSet, base: Omit<BaseContext, 'extension' | 'profile'>, coreUrls: ReadonlySet<string>, baseIndex: BaseIndexMap): Engine {
  const sds = new Map<string, StructureDefinition>();
  for (const sd of defs.structureDefinitions) sds.set(sd.url, sd);
  const profiles = new Map<string, CompiledProfile>();
  for (const sd of sds.values()) {
    // Extension definitions (~400 in R4) are compiled on first use: most are never met.
    if (isConstraint(sd) && sd.kind !== 'logical' && sd.snapshot && sd.type !== 'Extension') {
      profiles.set(sd.url, compileProfile(sd, baseIndex, lineage(sd, sds)));
    }
  }
  const ctx: BaseContext = { ...base, extension: extensionLookup(sds, baseIndex), profile: (url) => profiles.get(url.split('|')[0] ?? url) };
  const vitals = deriveVitalSigns(sds, profiles, ctx.valueSets);
  return { ctx, coreUrls, baseIndex, definitions: sds, profiles, vitals };
}

function extensionLookup(sds: ReadonlyMap<string, StructureDefinition>, baseIndex: BaseIndexMap): BaseContext['extension'] {
  const compiled = new Map<string, ExtensionDefinition | undefined>();
  return (url) => {
    const known = compiled.get(url);
    if (known !== undefined || compiled.has(url)) return known;
    const sd = sds.get(url);
    const ok = sd?.type === 'Extension' && sd.derivation === 'constraint' && sd.snapshot !== undefined;
    const def = ok ? {
      profile: compileProfile(sd, baseIndex, lineage(sd, sds)),
      isModifier: sd.snapshot?.element[0]?.isModifier === true,
      contexts: sd.context ?? [],
    } : undefined;
    compiled.set(url, def);
    return def;
  };
}

/**
 * A profile: derivation `constraint`, or a StructureDefinition that mislabels itself `specialization` while
 * constraining the core type of the same name (no new type can be named like a core one). The reference
 * validator treats those as profiles too (fhir-test-cases ad-practitioner).
 */
function isConstraint(sd: StructureDefinition): boolean {
  if (sd.derivation === 'constraint') return true;
  return sd.baseDefinition === `${CORE}${sd.type}` && sd.url !== `${CORE}${sd.type}`;
}
const CORE = 'http://hl7.org/fhir/StructureDefinition/';

/** The profile and its constraint ancestors, following baseDefinition. */
function lineage(sd: StructureDefinition, sds: ReadonlyMap<string, StructureDefinition>): Set<string> {
  const out = new Set<string>();
  for (let at: StructureDefinition | undefined = sd; at && !out.has(at.url); at = sds.get(at.baseDefinition ?? '')) {
    if (!isConstraint(at)) break;
    out.add(at.url);
  }
  return out;
}

function validate(engine: Engine, resource: Resource, options: ValidateOptions | undefined): OperationOutcome {
  const issues = new Issues();
  const value: unknown = resource;
  checkResource(engine.ctx, issues, value, '');
  if (isObject(value) && value.resourceType === 'StructureDefinition') checkDifferential(engine, issues, value as unknown as StructureDefinition);
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

/**
 * A StructureDefinition given as a differential only must expand over its base: every element it names exists
 * there, and it does not change what the base fixes. See: https://hl7.org/fhir/R4/profiling.html#snapshot
 */
function checkDifferential(engine: Engine, issues: Issues, sd: StructureDefinition): void {
  if (sd.snapshot !== undefined || sd.differential === undefined || sd.baseDefinition === undefined) return;
  if (!engine.definitions.has(sd.baseDefinition.split('|')[0] ?? '')) return; // unknown base: reported nowhere else either
  try {
    generateSnapshot(sd, (url) => engine.definitions.get(url));
  } catch (e) {
    issues.error('invalid', `Error generating the snapshot: ${(e as Error).message}`, 'StructureDefinition.differential');
  }
}

/** `Observation.meta.profile[i]` when the URL came from the resource, else the resource itself. */
function profileExpr(resource: Json, type: string, url: string): string {
  const listed = isObject(resource.meta) && Array.isArray(resource.meta.profile) ? resource.meta.profile : [];
  const i = listed.findIndex((p: unknown) => typeof p === 'string' && p.split('|')[0] === url);
  return i < 0 ? type : `${type}.meta.profile[${i}]`;
}
