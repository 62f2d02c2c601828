import type { ElementDefinition, StructureDefinition } from 'fhir/r4';
import { fixedAndPattern } from './fixed-pattern';
import { fromProfile } from './issues';
import { compileInvariants, type CompiledInvariant } from './invariants';
import { compileSlicing, type Slicing } from './slicing';
import { choiceKey, parseMax, typeCodes } from './type-model';
import { valueLimits, type ValueLimit } from './value-limits';

/**
 * A profile (StructureDefinition with derivation `constraint`) compiled to the constraints it ADDS to the base
 * type: tighter cardinality, narrowed choice types, fixed/pattern values, new required bindings, slicing and new
 * invariants. What equals the base is pruned, since the base pass already checks it; so applying a profile
 * costs only as much as what the profile says.
 * See: https://hl7.org/fhir/R4/profiling.html
 */
export interface CompiledProfile {
  readonly url: string;
  readonly type: string;
  /** This profile and every profile it derives from (by baseDefinition), for de-duplication. */
  readonly lineage: ReadonlySet<string>;
  readonly root: ConstraintNode;
  /** Said after each issue text: ` (profile <url>)` (made once here, not per application). */
  readonly suffix: string;
}

export interface ConstraintNode {
  /** ElementDefinition.id, e.g. `Observation.component:SystolicBP.code`. */
  readonly id: string;
  /** Snapshot name: `code`, `value[x]`. */
  readonly name: string;
  readonly isChoice: boolean;
  /** JSON keys the element appears under, with the datatype each key carries and the `_key` shadow (precomputed: hot path). */
  readonly keys: ReadonlyArray<readonly [string, string, string]>;
  /** The element's own types (for type discriminators). */
  readonly types: readonly string[];
  /** First type profile (an extension's URL for `url` discriminators). */
  readonly typeProfile?: string;
  /** Profiles the value must conform to (type[].profile, not the core type itself), for checks and `profile` discriminators. */
  readonly typeProfiles?: readonly string[];
  /** Reference targets narrowed by the profile: core types, and profiles the referenced resource must meet. */
  targetTypes?: ReadonlySet<string>;
  targetProfiles?: readonly string[];
  /** Resource types allowed where the base says `Resource` (Bundle.entry.resource, contained, Parameters…). */
  resourceTypes?: ReadonlySet<string>;
  min?: number;
  max?: number;
  allowedTypes?: ReadonlySet<string>;
  fixed?: unknown;
  pattern?: unknown;
  binding?: string;
  /** Additional required bindings (R5 `binding.additional` with purpose `required`, as a cross-version extension). */
  alsoRequired?: readonly string[];
  minValue?: ValueLimit;
  maxValue?: ValueLimit;
  invariants: CompiledInvariant[];
  children: ConstraintNode[];
  slicing?: Slicing;
}

/** Base elements by path (`Observation.status`, `Quantity.code`), from specialization StructureDefinitions. */
export type BaseIndex = ReadonlyMap<string, ElementDefinition>;

export function compileProfile(sd: StructureDefinition, base: BaseIndex, lineage: ReadonlySet<string>): CompiledProfile {
  const elements = sd.snapshot?.element ?? [];
  const byId = new Map<string, ConstraintNode>();
  const rootEl = elements[0];
  const root = newNode(rootEl ?? { id: sd.type, path: sd.type }, base);
  byId.set(root.id, root);
  for (const el of elements.slice(1)) {
    const id = el.id ?? el.path;
    const node = newNode(el, base);
    byId.set(id, node);
    const cut = id.lastIndexOf('.');
    const parentId = id.slice(0, cut);
    const last = id.slice(cut + 1);
    const colon = last.indexOf(':');
    if (colon < 0) {
      const parent = byId.get(parentId);
      parent?.children.push(node);
      if (parent && el.slicing) node.slicing = { rules: el.slicing, slices: [], supported: true, discriminators: [] };
    } else {
      // `Observation.component:SystolicBP` is a slice of the element `Observation.component`.
      const entry = byId.get(`${parentId}.${last.slice(0, colon)}`);
      entry?.slicing?.slices.push({ name: last.slice(colon + 1), min: el.min ?? 0, max: parseMax(el.max), node });
      for (const k of ['min', 'max'] as const) delete node[k]; // slice cardinality is counted per slice
    }
  }
  compileAllSlicing(root); // before pruning: discriminators read nodes that add nothing else (a slice's types)
  prune(root);
  return { url: sd.url, type: sd.type, lineage, root, suffix: fromProfile(sd.url) };
}

function newNode(el: ElementDefinition, base: BaseIndex): ConstraintNode {
  const name = el.path.slice(el.path.lastIndexOf('.') + 1);
  const isChoice = name.endsWith('[x]');
  const baseEl = base.get(el.base?.path ?? el.path);
  const types = typeCodes(el);
  const baseTypes = baseEl ? typeCodes(baseEl) : types;
  const keyTypes = isChoice ? baseTypes : types.slice(0, 1);
  const { fixed, pattern } = fixedAndPattern(el);
  const limits = valueLimits(el);
  const node: ConstraintNode = {
    id: el.id ?? el.path,
    name,
    isChoice,
    keys: keyTypes.map((t) => {
      const key = isChoice ? choiceKey(name, t) : name;
      return [key, t, `_${key}`] as const;
    }),
    types,
    typeProfile: el.type?.[0]?.profile?.[0],
    typeProfiles: ownProfiles(el),
    fixed,
    pattern,
    minValue: limits.min,
    maxValue: limits.max,
    invariants: newInvariants(el, baseEl),
    children: [],
  };
  if ((el.min ?? 0) > (el.base?.min ?? 0)) node.min = el.min;
  if (parseMax(el.max) < parseMax(el.base?.max ?? '*')) node.max = parseMax(el.max);
  if (isChoice && types.length > 0 && types.length < baseTypes.length) node.allowedTypes = new Set(types);
  if (baseTypes.length === 1 && baseTypes[0] === 'Resource' && types.length > 0 && !types.includes('Resource')) node.resourceTypes = new Set(types);
  narrowTargets(node, el, baseEl);
  const also = additionalRequired(el);
  if (also.length > 0) node.alsoRequired = also;
  if (el.binding?.strength === 'required' && el.binding.valueSet && !sameRequired(el, baseEl) && !relaxed(el)) {
    node.binding = el.binding.valueSet;
  }
  return node;
}

/**
 * Bindings the HL7 reference validator reports as warnings although R4 says `required`: the vital-signs
 * `component.value[x]` units binding (an R4 errata; R4B and R5 make it extensible). Following it keeps a valid
 * FiO2 or flow component (`L/min`) from being rejected. Seen in fhir-test-cases obs-fio2 / obs-percent.
 */
const RELAXED_BINDINGS = new Set(['Observation.component.value[x]|http://hl7.org/fhir/ValueSet/ucum-vitals-common']);
const relaxed = (el: ElementDefinition): boolean => RELAXED_BINDINGS.has(`${el.path}|${unversioned(el.binding?.valueSet)}`);

const unversioned = (url: string | undefined): string | undefined => url?.split('|')[0];

function sameRequired(el: ElementDefinition, baseEl: ElementDefinition | undefined): boolean {
  return baseEl?.binding?.strength === 'required' && unversioned(baseEl.binding.valueSet) === unversioned(el.binding?.valueSet);
}

function newInvariants(el: ElementDefinition, baseEl: ElementDefinition | undefined): CompiledInvariant[] {
  const known = new Set((baseEl?.constraint ?? []).map((c) => c.key));
  return compileInvariants(el.constraint, (c) => !known.has(c.key), el.path);
}

const CORE = 'http://hl7.org/fhir/StructureDefinition/';
const ADDITIONAL = new Set([
  'http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional',
  'http://hl7.org/fhir/tools/StructureDefinition/additional-binding',
]);

/** See: https://hl7.org/fhir/R5/elementdefinition-definitions.html#ElementDefinition.binding.additional */
function additionalRequired(el: ElementDefinition): string[] {
  const out: string[] = [];
  for (const x of el.binding?.extension ?? []) {
    if (!ADDITIONAL.has(x.url)) continue;
    const part = (name: string): string | undefined => {
      const p = x.extension?.find((y) => y.url === name);
      return p?.valueCode ?? p?.valueCanonical ?? p?.valueUri;
    };
    const vs = part('valueSet');
    if (part('purpose') === 'required' && vs !== undefined) out.push(vs);
  }
  return out;
}

function narrowTargets(node: ConstraintNode, el: ElementDefinition, baseEl: ElementDefinition | undefined): void {
  const targets = (e: ElementDefinition | undefined): string[] =>
    (e?.type ?? []).filter((t) => t.code === 'Reference').flatMap((t) => t.targetProfile ?? []).map((p) => p.split('|')[0] ?? p);
  const own = targets(el);
  const base = new Set(targets(baseEl));
  if (own.length === 0 || (own.length === base.size && own.every((p) => base.has(p)))) return; // nothing narrowed
  const custom = own.filter((p) => !p.startsWith(CORE) || p.slice(CORE.length).includes('/'));
  if (custom.length > 0) node.targetProfiles = custom;
  else node.targetTypes = new Set(own.map((p) => p.slice(CORE.length)));
}

/** type[].profile other than the core definition of the type itself. */
function ownProfiles(el: ElementDefinition): string[] | undefined {
  const out = (el.type ?? []).flatMap((t) => (t.profile ?? []).filter((p) => p !== `http://hl7.org/fhir/StructureDefinition/${t.code}`));
  return out.length > 0 ? out : undefined;
}

const useful = (n: ConstraintNode): boolean =>
  n.resourceTypes !== undefined || n.targetTypes !== undefined || n.targetProfiles !== undefined || (n.typeProfiles !== undefined && !n.types.includes('Extension')) ||
  n.min !== undefined || n.max !== undefined || n.allowedTypes !== undefined || n.fixed !== undefined ||
  n.pattern !== undefined || n.binding !== undefined || n.alsoRequired !== undefined || n.minValue !== undefined || n.maxValue !== undefined || n.invariants.length > 0 || n.children.length > 0 ||
  (n.slicing !== undefined && n.slicing.slices.length > 0);

function prune(node: ConstraintNode): void {
  for (const c of node.children) prune(c);
  for (const s of node.slicing?.slices ?? []) prune(s.node);
  node.children = node.children.filter(useful);
  if (node.slicing?.slices.length === 0) delete node.slicing;
}

function compileAllSlicing(node: ConstraintNode): void {
  if (node.slicing) compileSlicing(node.slicing);
  for (const c of node.children) compileAllSlicing(c);
  for (const s of node.slicing?.slices ?? []) compileAllSlicing(s.node);
}
