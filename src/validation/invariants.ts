import type { ElementDefinitionConstraint } from 'fhir/r4';
import { compileFhirPath } from './fhirpath-invariant';
import { narrativeElementsOk, narrativeHasContent } from './narrative';
import { compareDateTimes } from './date-order';
import type { ContainerIndex } from './reference-check';

/**
 * FHIRPath invariants. The cheap, frequent ones (ext-1, obs-*, vs-*, qty-3, …) are evaluated natively, without a
 * FHIRPath engine on the hot path; some have a native short cut for the common case (dom-2..5 hold trivially
 * without `contained`) and fall back to fhirpath.js otherwise; every other invariant is compiled once, at boot,
 * by fhirpath.js. ele-1 is checked structurally (no empty objects, strings or arrays: see base-check.ts).
 * Best-practice invariants (dom-6 …) are not reported, as the HL7 validator does by default for profiles it was
 * not asked to check for best practice.
 * See: https://hl7.org/fhir/R4/conformance-rules.html#constraints and https://hl7.org/fhir/R4/observation.html#invs
 */
/** What an invariant may refer to besides its focus: FHIRPath's `%resource` and `%rootResource`. */
export interface InvariantEnv {
  readonly resource: unknown;
  readonly rootResource: unknown;
  /**
   * Inside a contained resource reached through a profile of its container, element paths are rewritten from
   * the container's (`Patient.contained`) to the contained resource's type (`Practitioner`), so FHIRPath
   * knows the element types (`%context.type()`).
   */
  readonly rebase?: { readonly from: string; readonly to: string };
  /** The enclosing Bundle / Parameters, for resolving references between the resources it carries. */
  readonly container?: ContainerIndex;
}
export type InvariantTest = (value: unknown, env: InvariantEnv) => boolean;

export interface CompiledInvariant {
  readonly key: string;
  readonly severity: 'error' | 'warning';
  readonly human: string;
  readonly test: InvariantTest;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/**
 * `key.exists()`: the value, or its `_key` shadow (https://hl7.org/fhir/R4/json.html#primitive). The shadow name is
 * made once per key, not per call: a string built on each call is hashed on each lookup (hot: ext-1 runs on
 * every extension).
 */
const exists = (key: string): ((v: Json) => boolean) => {
  const shadow = `_${key}`;
  return (v) => v[key] !== undefined || v[shadow] !== undefined;
};
// The frequent ones with the names written out: a named property load, not a keyed one through a variable.
const hasExtension = (v: Json): boolean => v.extension !== undefined || v._extension !== undefined;
const hasDataAbsentReason = (v: Json): boolean => v.dataAbsentReason !== undefined || v._dataAbsentReason !== undefined;
const hasLow = (v: Json): boolean => v.low !== undefined || v._low !== undefined;
const hasHigh = (v: Json): boolean => v.high !== undefined || v._high !== undefined;
const hasText = (v: Json): boolean => v.text !== undefined || v._text !== undefined;
const hasComponent = (v: Json): boolean => v.component !== undefined || v._component !== undefined;
const hasMember = (v: Json): boolean => v.hasMember !== undefined || v._hasMember !== undefined;
const hasContentType = (v: Json): boolean => v.contentType !== undefined || v._contentType !== undefined;
const hasSystem = (v: Json): boolean => v.system !== undefined || v._system !== undefined;
/** See base-check.ts: fast on the key of a `for…in` over the same object. */
const hasOwn = Object.prototype.hasOwnProperty;
/** `x.exists()` for a choice element `x[x]`: any key `x` + an upper-case type name. */
function hasChoice(v: Json, prefix: string): boolean {
  for (const k in v) {
    if (k.length > prefix.length && k.startsWith(prefix) && isUpper(k.charCodeAt(prefix.length)) && hasOwn.call(v, k)) return true;
  }
  return false;
}
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

const NATIVE: Readonly<Record<string, (value: unknown, env: InvariantEnv) => boolean>> = {
  // extension.exists() != value.exists()
  'ext-1': (v) => !isObject(v) || hasExtension(v) !== hasChoice(v, 'value'),
  // dataAbsentReason.empty() or value.empty()
  'obs-6': (v) => !isObject(v) || !(hasDataAbsentReason(v) && hasChoice(v, 'value')),
  // value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()
  'obs-7': (v) => !isObject(v) || !hasChoice(v, 'value') || !componentRepeatsCode(v),
  // low.exists() or high.exists() or text.exists()
  'obs-3': (v) => !isObject(v) || hasLow(v) || hasHigh(v) || hasText(v),
  // ($this as dateTime).toString().length() >= 8  — a dateTime effective[x] must be precise to the day
  'vs-1': (v) => typeof v !== 'string' || v.length >= 8,
  // (component.empty() and hasMember.empty()) implies (dataAbsentReason.exists() or value.exists())
  'vs-2': (v) =>
    !isObject(v) || hasComponent(v) || hasMember(v) || hasDataAbsentReason(v) || hasChoice(v, 'value'),
  // value.exists() or dataAbsentReason.exists()
  'vs-3': (v) => !isObject(v) || hasChoice(v, 'value') || hasDataAbsentReason(v),
  // code.empty() or system.exists()
  'qty-3': (v) => !isObject(v) || v.code === undefined || v.system !== undefined,
  // comparator.empty()  (SimpleQuantity)
  'sqty-1': (v) => !isObject(v) || v.comparator === undefined,
  // data.empty() or contentType.exists()
  'att-1': (v) => !isObject(v) || v.data === undefined || hasContentType(v),
  // value.empty() or system.exists()
  'cpt-2': (v) => !isObject(v) || v.value === undefined || hasSystem(v),
  // contained.contained.empty()
  'dom-2': (v) => containedOf(v).every((c) => c.contained === undefined),
  // every contained resource is referenced from the resource ('#id'), or refers to its container ('#')
  'dom-3': (v) => containedOf(v).length === 0 || allContainedReferenced(v as Json),
  // contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()
  'dom-4': (v) => containedOf(v).every((c) => !isObject(c.meta) || (c.meta.versionId === undefined && c.meta.lastUpdated === undefined)),
  // contained.meta.security.empty()
  'dom-5': (v) => containedOf(v).every((c) => !isObject(c.meta) || c.meta.security === undefined),
  // htmlChecks() — see narrative.ts
  'txt-1': (v) => narrativeElementsOk(v),
  'txt-2': (v) => narrativeHasContent(v),
  // reference.startsWith('#').not() or (reference.substring(1) in %rootResource.contained.id)
  'ref-1': (v, env) => !isObject(v) || typeof v.reference !== 'string' || !v.reference.startsWith('#') || containedIds(env.rootResource).has(v.reference.slice(1)),
};

/**
 * Short cuts: the answer when it is certain, `undefined` to ask fhirpath.js. per-1 (`start <= end`) holds
 * without both ends and is decided natively for same-precision dates and zoned instants (fhirpath.js takes
 * ~50 µs per Period otherwise); rng-2 needs both ends (quantity comparison is left to FHIRPath).
 */
const SHORT_CUT: Readonly<Record<string, (value: unknown) => boolean | undefined>> = {
  'per-1': (v) => {
    if (!isObject(v) || v.start === undefined || v.end === undefined) return true;
    const order = compareDateTimes(v.start, v.end);
    return order === undefined ? undefined : order <= 0;
  },
  'rng-2': (v) => (isObject(v) && v.low !== undefined && v.high !== undefined ? undefined : true),
};

/** Keys checked structurally, never by expression. See: https://hl7.org/fhir/R4/element.html#invs */
const STRUCTURAL = new Set(['ele-1']);
const BEST_PRACTICE = 'http://hl7.org/fhir/StructureDefinition/elementdefinition-bestpractice';

/** Nearly no resource has `contained`: then one shared empty list, not a new array per invariant. */
const NONE: readonly Json[] = [];
const containedOf = (v: unknown): readonly Json[] => (isObject(v) && Array.isArray(v.contained) ? v.contained.filter(isObject) : NONE);

/** dom-3 without FHIRPath's descendants(): every '#…' string anywhere in the resource counts as a local reference. */
function allContainedReferenced(resource: Json): boolean {
  const locals = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.startsWith('#')) locals.add(v);
    } else if (Array.isArray(v)) for (const x of v) walk(x);
    else if (isObject(v)) for (const x of Object.values(v)) walk(x);
  };
  for (const [k, v] of Object.entries(resource)) if (k !== 'contained') walk(v);
  return containedOf(resource).every((c) => {
    if (locals.has(`#${String(c.id)}`)) return true;
    const inner = new Set<string>();
    const walkInner = (v: unknown): void => {
      if (v === '#') inner.add(v);
      else if (Array.isArray(v)) for (const x of v) walkInner(x);
      else if (isObject(v)) for (const x of Object.values(v)) walkInner(x);
    };
    walkInner(c);
    // a contained resource may reference another contained one that is referenced
    return inner.size > 0 || containedOf(resource).some((o) => o !== c && JSON.stringify(o).includes(`"#${String(c.id)}"`));
  });
}

function containedIds(root: unknown): Set<string> {
  const ids = new Set<string>();
  if (isObject(root) && Array.isArray(root.contained)) for (const c of root.contained) if (isObject(c) && typeof c.id === 'string') ids.add(c.id);
  return ids;
}

function componentRepeatsCode(obs: Json): boolean {
  const codings = list(isObject(obs.code) ? obs.code.coding : undefined);
  if (codings.length === 0) return false;
  const components = list(obs.component);
  for (let i = 0; i < components.length; i++) {
    const c = components[i];
    const own = list(isObject(c) && isObject(c.code) ? c.code.coding : undefined);
    for (let j = 0; j < own.length; j++) for (let k = 0; k < codings.length; k++) if (sameCoding(codings[k], own[j])) return true;
  }
  return false;
}

/** FHIRPath equality of two Codings: same properties, same values. */
function sameCoding(a: unknown, b: unknown): boolean {
  if (!isObject(a) || !isObject(b)) return false;
  // Nearly every pair differs in code: a string code of `a` unlike `b`'s decides it without serialising anything.
  if (typeof a.code === 'string' && a.code !== b.code && Object.hasOwn(a, 'code')) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

/**
 * Compiles the constraints of one element (at `path`, the FHIRPath base for type resolution), in definition order;
 * `accept` filters by source/novelty.
 */
export function compileInvariants(
  constraints: readonly ElementDefinitionConstraint[] | undefined,
  accept: (c: ElementDefinitionConstraint) => boolean = () => true,
  path = '',
): CompiledInvariant[] {
  const out: CompiledInvariant[] = [];
  for (const c of constraints ?? []) {
    if (STRUCTURAL.has(c.key) || !accept(c) || c.extension?.some((x) => x.url === BEST_PRACTICE && x.valueBoolean === true)) continue;
    const test = NATIVE[c.key] ?? viaFhirPath(c, path);
    if (test === undefined) continue;
    const severity = c.severity === 'warning' ? 'warning' : 'error';
    out.push({ key: c.key, severity, human: c.human, test });
  }
  return out;
}

/**
 * Profile invariants of the form `a.exists() or b.exists()` (ours: iomt-obs-1/2; many IGs' "value or
 * dataAbsentReason") are evaluated natively: same meaning, no FHIRPath engine per resource.
 */
const EITHER_EXISTS = /^\(?\s*([a-z][A-Za-z0-9]*)\.exists\(\)\s+or\s+([a-z][A-Za-z0-9]*)\.exists\(\)\s*\)?$/;

/** The R4 datatypes a choice element `x[x]` can take, as JSON key suffixes (`valueQuantity`). */
const CHOICE_SUFFIXES: ReadonlySet<string> = new Set([
  'Base64Binary', 'Boolean', 'Canonical', 'Code', 'Date', 'DateTime', 'Decimal', 'Id', 'Instant', 'Integer', 'Markdown', 'Oid',
  'PositiveInt', 'String', 'Time', 'UnsignedInt', 'Uri', 'Url', 'Uuid', 'Address', 'Age', 'Annotation', 'Attachment',
  'CodeableConcept', 'Coding', 'ContactPoint', 'Count', 'Distance', 'Duration', 'HumanName', 'Identifier', 'Money', 'Period',
  'Quantity', 'Range', 'Ratio', 'Reference', 'SampledData', 'Signature', 'Timing', 'ContactDetail', 'Contributor',
  'DataRequirement', 'Expression', 'ParameterDefinition', 'RelatedArtifact', 'TriggerDefinition', 'UsageContext', 'Dosage', 'Meta',
]);

function eitherExists(expression: string): InvariantTest | undefined {
  const m = EITHER_EXISTS.exec(expression.trim());
  if (m === null) return undefined;
  const [a, b] = [m[1] as string, m[2] as string];
  const present = (name: string): ((v: Json) => boolean) => {
    const plain = exists(name);
    // an own key `name` + a datatype (`valueQuantity`), as Object.keys would list it, without making the array
    return (v) => {
      if (plain(v)) return true;
      for (const k in v) if (k.startsWith(name) && CHOICE_SUFFIXES.has(k.slice(name.length)) && hasOwn.call(v, k)) return true;
      return false;
    };
  };
  const [hasA, hasB] = [present(a), present(b)];
  return (v) => !isObject(v) || hasA(v) || hasB(v);
}

function viaFhirPath(c: ElementDefinitionConstraint, path: string): InvariantTest | undefined {
  if (c.expression === undefined) return undefined;
  const simple = eitherExists(c.expression);
  if (simple !== undefined) return simple;
  const evaluate = compileFhirPath(c.expression, path);
  const shortCut = SHORT_CUT[c.key];
  return shortCut === undefined ? evaluate : (v, env) => shortCut(v) ?? evaluate(v, env);
}

/** Invariant keys this engine evaluates (for documentation and tests). */
export const NATIVE_INVARIANTS: readonly string[] = Object.keys(NATIVE);
