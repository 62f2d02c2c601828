import type { ElementDefinition, ElementDefinitionType, StructureDefinition } from 'fhir/r4';
import { compileInvariants, type CompiledInvariant } from './invariants';
import type { PrimitiveCheck } from './primitives';

/**
 * A base type (resource, datatype or backbone element) compiled from its snapshot into a lookup table keyed by
 * JSON property name, so checking an instance is one hash lookup per property.
 * See: https://hl7.org/fhir/R4/json.html and https://hl7.org/fhir/R4/elementdefinition.html
 */
export interface TypeModel {
  /** Type name or backbone path, e.g. `Observation`, `Observation.component`. */
  readonly name: string;
  readonly isResource: boolean;
  readonly props: Map<string, PropRule>;
  readonly elements: ElementRule[];
  /** Elements with min >= 1. */
  readonly required: ElementRule[];
  readonly invariants: CompiledInvariant[];
  /** For a resource: where its own extensions sit (see ExtensionSite), made on first use. */
  site?: { readonly names: readonly string[]; readonly isResource: true; readonly canonical: boolean };
  /**
   * The keys of the last object checked against this model, by position, and their rules (up to SHAPE_KEYS):
   * objects of one type mostly repeat the same keys in the same order (a Coding: system, code, display), and
   * comparing a JSON key with the one seen at that position is cheaper than a Map lookup. A memo only: a key
   * not matching is looked up in `props` and replaces the entry.
   */
  readonly shapeKeys: string[];
  readonly shapeProps: (PropRule | undefined)[];
}

export interface ElementRule {
  /** Snapshot name, e.g. `value[x]`, `status`. */
  readonly name: string;
  readonly path: string;
  readonly min: number;
  readonly max: number;
  readonly isArray: boolean;
  readonly isChoice: boolean;
  /** Every JSON key this element may appear under, including `_x` shadows of primitives. */
  readonly keys: string[];
  /** Canonical of a required binding, if any. */
  readonly binding?: string;
  /** Resource types a Reference may point at; undefined when any resource will do. */
  readonly targets?: ReadonlySet<string>;
  /** Canonical of an extensible binding, if any (checked as a warning). */
  readonly extensible?: string;
  readonly invariants: CompiledInvariant[];
  /** Inline children (BackboneElement) or a contentReference target; resolved lazily for recursive structures. */
  readonly children?: () => TypeModel;
}

export interface PropRule {
  readonly element: ElementRule;
  /** Datatype of the value under this key (`Quantity`, `dateTime`, `BackboneElement`, `Resource`, …). */
  readonly type: string;
  readonly primitive: boolean;
  /** True for `_x`: the id/extensions of primitive `x`. */
  readonly shadow: boolean;
  /** For a shadow `_x`: the primitive type of `x` (an extension's context may name it). */
  readonly of?: string;
  /** The names an extension inside this value may give as its context (type, element path; built once, not per value). */
  readonly site: { readonly names: readonly string[]; readonly isResource: false };
  /** The other half of a primitive's pair: `_x` for `x`, `x` for `_x` (see https://hl7.org/fhir/R4/json.html#primitive). */
  readonly partner?: string;
  /**
   * For an element with min >= 1 among the first 30 of its model's `required`: `1 << index` there, else 0. The
   * base pass notes which required elements it met while walking the object's keys, instead of looking their
   * keys up again afterwards.
   */
  readonly requiredBit: number;
  /**
   * Set by `linkModels` once every type is compiled, so the hot path does no lookup by type name: the model an
   * object value is checked against, and whether the value is a resource (checked as one, with its own type).
   */
  model?: TypeModel;
  holdsResource?: boolean;
  /** The lexical check of a primitive's type, kept here on first use by the base pass (`null`: none). */
  primitiveCheck?: PrimitiveCheck | null;
}

const FHIR_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';

/** Positions of an object's keys remembered per model (see TypeModel.shapeKeys); R4 types rarely use more. */
export const SHAPE_KEYS = 32;

/** Required elements of a model tracked as bits of a small integer (R4's most in one type: under 10). */
export const REQUIRED_BITS = 30;

/** Primitive type names start lower-case in FHIR; complex types and resources upper-case. */
export const isPrimitiveType = (type: string): boolean => {
  const c = type.charCodeAt(0);
  return c >= 97 && c <= 122;
};

export const parseMax = (max: string | undefined): number => (max === undefined || max === '*' ? Infinity : Number(max));

/** The FHIR type codes of an element; FHIRPath system types (`id` elements) are mapped back to FHIR types. */
export function typeCodes(el: ElementDefinition): string[] {
  return (el.type ?? []).map((t) => fhirTypeCode(el, t));
}

function fhirTypeCode(el: ElementDefinition, t: ElementDefinitionType): string {
  if (!t.code.startsWith('http://hl7.org/fhirpath/System.')) return t.code;
  // R4 snapshots type Resource.id as System.String; the spec says `id`: see https://hl7.org/fhir/R4/resource.html#id
  if ((el.base?.path ?? el.path) === 'Resource.id') return 'id';
  return t.extension?.find((x) => x.url === FHIR_TYPE_EXT)?.valueUrl ?? 'string';
}

/** JSON key of a choice element for one type: `value[x]` + `Quantity` → `valueQuantity`. */
export const choiceKey = (name: string, type: string): string =>
  `${name.slice(0, -3)}${type.charAt(0).toUpperCase()}${type.slice(1)}`;

/** Compiles one base StructureDefinition (derivation specialization) into its root TypeModel. */
export function compileStructure(sd: StructureDefinition): TypeModel {
  const elements = sd.snapshot?.element ?? [];
  const byParent = new Map<string, ElementDefinition[]>();
  for (const el of elements.slice(1)) {
    const parent = el.path.slice(0, el.path.lastIndexOf('.'));
    const siblings = byParent.get(parent) ?? [];
    siblings.push(el);
    byParent.set(parent, siblings);
  }
  const ownConstraint = (c: { source?: string }): boolean => c.source === undefined || c.source === sd.url;
  const models = new Map<string, TypeModel>();
  const build = (path: string): TypeModel => {
    const cached = models.get(path);
    if (cached) return cached;
    const model: TypeModel = {
      name: path,
      isResource: sd.kind === 'resource' && path === sd.type,
      props: new Map(),
      elements: [],
      required: [],
      invariants: path === sd.type ? compileInvariants(elements[0]?.constraint, () => true, path) : [],
      shapeKeys: [],
      shapeProps: [],
    };
    models.set(path, model); // before children: contentReference may point back here
    for (const el of byParent.get(path) ?? []) addElement(model, el, byParent, build, ownConstraint);
    return model;
  };
  const root = build(sd.type);
  for (const path of byParent.keys()) build(path); // every backbone element now, not on the first request
  return root;
}

function addElement(
  model: TypeModel,
  el: ElementDefinition,
  byParent: Map<string, ElementDefinition[]>,
  build: (path: string) => TypeModel,
  ownConstraint: (c: { source?: string }) => boolean,
): void {
  const name = el.path.slice(el.path.lastIndexOf('.') + 1);
  const isChoice = name.endsWith('[x]');
  const types = typeCodes(el);
  const childPath = el.contentReference?.startsWith('#') ? el.contentReference.slice(1) : el.path;
  const hasChildren = el.contentReference !== undefined || byParent.has(el.path);
  const maxBase = parseMax(el.base?.max ?? el.max);
  const keys: string[] = [];
  const rule: ElementRule = {
    name,
    path: el.path,
    min: el.min ?? 0,
    max: parseMax(el.max),
    isArray: maxBase > 1,
    isChoice,
    keys,
    binding: el.binding?.strength === 'required' ? el.binding.valueSet : undefined,
    extensible: el.binding?.strength === 'extensible' ? el.binding.valueSet : undefined,
    targets: referenceTargets(el),
    invariants: compileInvariants(el.constraint, ownConstraint, el.path),
    children: hasChildren ? () => build(childPath) : undefined,
  };
  const requiredBit = rule.min > 0 && model.required.length < REQUIRED_BITS ? 1 << model.required.length : 0;
  // A contentReference element has no type of its own: it repeats the referenced backbone element.
  for (const type of types.length ? types : ['BackboneElement']) {
    const key = isChoice ? choiceKey(name, type) : name;
    const primitive = isPrimitiveType(type);
    const site = { names: [type, el.path], isResource: false } as const;
    model.props.set(key, { element: rule, type, primitive, shadow: false, site, partner: primitive ? `_${key}` : undefined, requiredBit });
    keys.push(key);
    if (primitive) {
      const shadowSite = { names: [el.path, type], isResource: false } as const;
      model.props.set(`_${key}`, { element: rule, type: 'Element', primitive: false, shadow: true, of: type, site: shadowSite, partner: key, requiredBit });
      keys.push(`_${key}`);
    }
  }
  model.elements.push(rule);
  if (rule.min > 0) model.required.push(rule);
}

/**
 * Resolves, once, what each property's values are checked against (see PropRule.model), through every model
 * reachable from `models` (backbone elements included).
 */
export function linkModels(models: ReadonlyMap<string, TypeModel>): void {
  const seen = new Set<TypeModel>();
  const visit = (model: TypeModel): void => {
    if (seen.has(model)) return;
    seen.add(model);
    for (const prop of model.props.values()) {
      const el = prop.element;
      prop.holdsResource = prop.type === 'Resource' || models.get(prop.type)?.isResource === true;
      prop.model = !prop.shadow && el.children ? el.children() : models.get(prop.type);
      if (!prop.shadow && el.children) visit(el.children());
    }
  };
  for (const model of models.values()) visit(model);
}

/** Target resource types of an element's Reference type, from targetProfile (core URLs name the type). */
export function referenceTargets(el: ElementDefinition): ReadonlySet<string> | undefined {
  const profiles = (el.type ?? []).filter((t) => t.code === 'Reference').flatMap((t) => t.targetProfile ?? []);
  if (profiles.length === 0) return undefined;
  const names = profiles.map((p) => p.slice(p.lastIndexOf('/') + 1).split('|')[0] ?? '');
  return names.includes('Resource') ? undefined : new Set(names);
}
