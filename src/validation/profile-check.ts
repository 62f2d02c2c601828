import { checkResource, runInvariants, type BaseContext } from './base-check';
import { checkBinding } from './bindings';
import { containsPattern, deepEqual } from './fixed-pattern';
import { Issues, Step, type At } from './issues';
import { indexContainer, resolveReference, typeOfReference } from './reference-check';
import type { InvariantEnv } from './invariants';
import type { CompiledProfile, ConstraintNode } from './profile-model';
import type { Slice, SliceHooks, Slicing, SliceItem } from './slicing';
import { compareToLimit, showValue } from './value-limits';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Item extends SliceItem {
  readonly expr: At;
}

/**
 * What is said of every issue found while applying one profile. It is also the slice hooks (a discriminator may
 * ask whether a value conforms to a profile): one object per application, which happens per extension too.
 */
class Run implements SliceHooks {
  constructor(
    readonly ctx: BaseContext,
    readonly issues: Issues,
    readonly suffix: string,
    readonly env: InvariantEnv,
  ) {}

  conforms(value: unknown, url: string): boolean {
    return conforms(this, value, url);
  }
}

/**
 * Applies one compiled profile to a resource that already went through the base pass: only the constraints
 * the profile adds are checked (see profile-model.ts). Issue texts name the profile.
 */
export function checkProfile(
  ctx: BaseContext,
  issues: Issues,
  profile: CompiledProfile,
  resource: Json,
  expr: At = profile.type,
  env: InvariantEnv = { resource, rootResource: resource, container: indexContainer(resource) },
): void {
  let check = COMPILED.get(profile.root);
  if (check === undefined) {
    check = compileItem(profile.root);
    COMPILED.set(profile.root, check);
  }
  check(new Run(ctx, issues, profile.suffix, env), resource, profile.type, expr);
}

/**
 * Each constraint node becomes, on first use, one function doing only the checks the node has: no walk over a
 * tree of mostly empty fields per instance, and the node's data sits in the closures.
 */
type ItemCheck = (run: Run, value: unknown, type: string, expr: At) => void;
type ElementCheck = (run: Run, obj: Json, expr: At) => void;
const COMPILED = new WeakMap<ConstraintNode, ItemCheck>();

/** The checks of one value of the element, in the order their issues are reported. */
function compileItem(node: ConstraintNode): ItemCheck {
  const checks: ItemCheck[] = [];
  const { allowedTypes, resourceTypes, fixed, pattern, binding, alsoRequired, invariants } = node;
  if (allowedTypes !== undefined) checks.push((run, _v, type, expr) => {
    if (!allowedTypes.has(type)) run.issues.error('structure', `${node.id}: type ${type} is not allowed here (allowed: ${[...allowedTypes].join(', ')})${run.suffix}`, expr);
  });
  if (resourceTypes !== undefined) checks.push((run, value, _t, expr) => {
    if (!isObject(value) || resourceTypes.has(String(value.resourceType))) return;
    const text = `${node.id}: resource type ${String(value.resourceType)} is not allowed here (allowed: ${[...resourceTypes].join(', ')})`;
    run.issues.error('structure', `${text}${run.suffix}`, expr);
  });
  if (node.typeProfiles !== undefined && !node.types.includes('Extension')) checks.push((run, value, _t, expr) => {
    if (value !== undefined) checkTypeProfiles(run, node, value, expr);
  });
  if (node.targetTypes !== undefined || node.targetProfiles !== undefined) checks.push((run, value, _t, expr) => {
    if (isObject(value)) checkTargets(run, node, value, expr);
  });
  if (fixed !== undefined) checks.push((run, value, _t, expr) => {
    if (deepEqual(value, fixed)) return;
    const text = `${node.id}: value must be exactly ${JSON.stringify(fixed)}, found ${value === undefined ? 'no value' : JSON.stringify(value)}`;
    run.issues.error('value', `${text}${run.suffix}`, expr);
  });
  if (pattern !== undefined) checks.push((run, value, _t, expr) => {
    if (!containsPattern(value, pattern)) run.issues.error('value', `${node.id}: value must contain the pattern ${JSON.stringify(pattern)}${run.suffix}`, expr);
  });
  if (node.minValue !== undefined || node.maxValue !== undefined) checks.push((run, value, _t, expr) => checkLimits(run, node, value, expr));
  for (const vs of [...(alsoRequired ?? []), ...(binding === undefined ? [] : [binding])]) {
    checks.push((run, value, type, expr) => checkBinding(run.ctx.valueSets, run.issues, vs, type, value, expr, run.suffix));
  }
  if (invariants.length > 0) checks.push((run, value, _t, expr) => runInvariants(run.issues, invariants, value, expr, run.env, run.suffix));
  if (node.children.length > 0) checks.push(compileChildren(node));
  return sequence(checks);
}

function compileChildren(node: ConstraintNode): ItemCheck {
  const children = node.children.map(compileElement);
  return (run, value, _t, expr) => {
    if (!isObject(value)) return;
    const inner = typeof value.resourceType === 'string' && value !== run.env.resource ? containedRun(run, node, value) : run;
    for (let i = 0; i < children.length; i++) (children[i] as ElementCheck)(inner, value, expr);
  };
}

const NOTHING: ItemCheck = () => undefined;

function sequence(checks: ItemCheck[]): ItemCheck {
  if (checks.length === 0) return NOTHING;
  if (checks.length === 1) return checks[0] as ItemCheck;
  return (run, value, type, expr) => {
    for (let i = 0; i < checks.length; i++) (checks[i] as ItemCheck)(run, value, type, expr);
  };
}

/** The element within its parent object: cardinality, then each of its values, then the slices. */
function compileElement(node: ConstraintNode): ElementCheck {
  const item = compileItem(node);
  const counted = node.min !== undefined || node.max !== undefined;
  const slicing = node.slicing?.supported ? node.slicing : undefined;
  const present = presentKeys(node);
  if (slicing !== undefined) {
    const slices = slicing.slices.map((s) => compileItem(s.node));
    return (run, obj, expr) => {
      const range = present(obj);
      if (counted) checkCount(run, node, countItems(node, obj, range), expr);
      const items = collect(node, obj, expr, range);
      for (const it of items) item(run, it.value, it.type, it.expr);
      checkSlices(run, node, slicing, slices, items, expr);
    };
  }
  const only = node.keys.length === 1 ? node.keys[0] : undefined;
  if (only !== undefined) return singleKey(node, only, counted, item);
  if (item === NOTHING) return (run, obj, expr) => checkCount(run, node, countItems(node, obj, present(obj)), expr);
  return (run, obj, expr) => {
    const range = present(obj);
    if (counted) checkCount(run, node, countItems(node, obj, range), expr);
    eachItem(node, obj, expr, run, item, range);
  };
}

/**
 * The usual element, under one JSON key: its value is read once for both the count and the items (what
 * countItems and eachItem do over one key).
 */
function singleKey(node: ConstraintNode, [key, type, shadow]: readonly [string, string, string], counted: boolean, item: ItemCheck): ElementCheck {
  return (run, obj, expr) => {
    const main = obj[key];
    const present = main ?? obj[shadow]; // a primitive may be present through its extensions only
    if (counted) checkCount(run, node, present === undefined ? 0 : Array.isArray(present) ? present.length : 1, expr);
    if (item === NOTHING || present === undefined) return;
    if (Array.isArray(present)) {
      for (let i = 0; i < present.length; i++) item(run, Array.isArray(main) ? main[i] : undefined, type, new Step(expr, key, i));
    } else item(run, main, type, new Step(expr, key));
  };
}

/**
 * Which of the element's keys to look at in `obj`, as a range [from, to) of `node.keys`, encoded `from * 65536 + to`
 * (a number: no array per element).
 */
type KeyRange = number;
const rangeFrom = (r: KeyRange): number => Math.floor(r / 65536);
const rangeTo = (r: KeyRange): number => r % 65536;

/** Choice elements with at least this many keys are found through the object's own keys rather than by probing. */
const SCAN_FROM = 6;

/**
 * A choice element `value[x]` has a key per type (11 in Observation, 50 in Extension) and its `_key` shadows, yet
 * an object holds a handful of keys and at most one of them (https://hl7.org/fhir/R4/formats.html#choice): looking
 * the object's keys up in an index of the element's keys replaces probing every one of them. When two of the
 * element's keys are present (an invalid instance), the whole range is walked in definition order, as before, so
 * the issues and their order do not change. Reading `obj[key]` also sees inherited properties: the index is not
 * used when a key names one of Object.prototype (none of R4 does), and `for…in` sees inherited enumerable ones.
 */
function presentKeys(node: ConstraintNode): (obj: Json) => KeyRange {
  const { keys } = node;
  const all: KeyRange = keys.length;
  if (!node.isChoice || keys.length < SCAN_FROM || keys.length >= 65536 || keys.some(([k, , s]) => k in Object.prototype || s in Object.prototype)) {
    return () => all;
  }
  const index = new Map<string, number>();
  keys.forEach(([key, , shadow], i) => {
    if (!index.has(key)) index.set(key, i);
    if (!index.has(shadow)) index.set(shadow, i);
  });
  if (index.size !== 2 * keys.length) return () => all; // a key repeated: keep the plain walk
  return (obj) => {
    let found = -1;
    for (const k in obj) {
      const i = index.get(k);
      if (i === undefined || i === found) continue;
      if (found >= 0) return all; // several: the ordered walk over every key decides
      found = i;
    }
    return found < 0 ? 0 : found * 65536 + found + 1;
  };
}

/** Calls `check` on every value of the element in `obj` (a primitive present through `_key` only has no value). */
function eachItem(node: ConstraintNode, obj: Json, expr: At, run: Run, check: ItemCheck, range: KeyRange): void {
  for (let k = rangeFrom(range), to = rangeTo(range); k < to; k++) {
    const [key, type, shadow] = node.keys[k] as readonly [string, string, string];
    const main = obj[key];
    const present = main ?? obj[shadow];
    if (Array.isArray(present)) {
      for (let i = 0; i < present.length; i++) check(run, Array.isArray(main) ? main[i] : undefined, type, new Step(expr, key, i));
    } else if (present !== undefined) check(run, main, type, new Step(expr, key));
  }
}

/** The items of a sliced element, in instance order (the slices are matched against them). */
function collect(node: ConstraintNode, obj: Json, expr: At, range: KeyRange): Item[] {
  const items: Item[] = [];
  for (let k = rangeFrom(range), to = rangeTo(range); k < to; k++) {
    const [key, type, shadow] = node.keys[k] as readonly [string, string, string];
    const main = obj[key];
    const present = main ?? obj[shadow]; // a primitive may be present through its extensions only
    if (Array.isArray(present)) {
      for (let i = 0; i < present.length; i++) items.push({ value: Array.isArray(main) ? main[i] : undefined, type, expr: new Step(expr, key, i) });
    } else if (present !== undefined) items.push({ value: main, type, expr: new Step(expr, key) });
  }
  return items;
}

/** How many items the element has in `obj` (array items, or one), counting primitives present through `_key` only. */
function countItems(node: ConstraintNode, obj: Json, range: KeyRange): number {
  let n = 0;
  for (let k = rangeFrom(range), to = rangeTo(range); k < to; k++) {
    const keys = node.keys[k] as readonly [string, string, string];
    const present = obj[keys[0]] ?? obj[keys[2]];
    if (Array.isArray(present)) n += present.length;
    else if (present !== undefined) n++;
  }
  return n;
}

/** `Observation.effective` for `effective[x]`: where a cardinality or slice-count issue points. */
const whereOf = (node: ConstraintNode, expr: At): At => new Step(expr, node.isChoice ? node.name.slice(0, -3) : node.name);

function checkCount(run: Run, node: ConstraintNode, count: number, expr: At): void {
  if (node.min !== undefined && count < node.min) {
    run.issues.error('required', `${node.id}: minimum required = ${node.min}, but only found ${count}${run.suffix}`, whereOf(node, expr));
  }
  if (node.max !== undefined && count > node.max) {
    run.issues.error('structure', `${node.id}: maximum allowed = ${node.max}, but found ${count}${run.suffix}`, whereOf(node, expr));
  }
}

/** Inside a contained resource, %resource is that resource. See: https://hl7.org/fhir/R4/fhirpath.html#variables */
function containedRun(run: Run, node: ConstraintNode, value: Json): Run {
  const rebase = { from: node.id.replace(/:[^.]+/g, ''), to: String(value.resourceType) };
  const root = node.name === 'contained' ? run.env.rootResource : value;
  return new Run(run.ctx, run.issues, run.suffix, { resource: value, rootResource: root, rebase, container: indexContainer(value) ?? run.env.container });
}

function checkSlices(run: Run, node: ConstraintNode, slicing: Slicing, checks: readonly ItemCheck[], items: Item[], expr: At): void {
  const counts = slicing.slices.map(() => 0);
  for (const item of items) {
    const index = sliceOf(slicing, item, run);
    const check = checks[index];
    if (check === undefined) {
      if (slicing.rules.rules === 'closed') {
        const text = `${node.id}: this item matches none of the slices (${slicing.slices.map((s) => s.name).join(', ')}) and the slicing is closed`;
        run.issues.error('structure', `${text}${run.suffix}`, item.expr);
      }
      continue;
    }
    counts[index] = (counts[index] ?? 0) + 1;
    check(run, item.value, item.type, item.expr);
  }
  for (let i = 0; i < slicing.slices.length; i++) {
    const slice = slicing.slices[i] as Slice;
    const count = counts[i] ?? 0;
    if (count >= slice.min && count <= slice.max) continue;
    const name = `${node.id}:${slice.name}`;
    const by = `discriminated by ${slicing.discriminators.join(', ')}`;
    if (count < slice.min) {
      run.issues.error('required', `Slice ${name} (${by}): minimum required = ${slice.min}, but only found ${count}${run.suffix}`, whereOf(node, expr));
    }
    if (count > slice.max) {
      run.issues.error('structure', `Slice ${name} (${by}): maximum allowed = ${slice.max}, but found ${count}${run.suffix}`, whereOf(node, expr));
    }
  }
}

/** The index of the first slice the item matches, or -1 (a loop: no closure per item). */
function sliceOf(slicing: Slicing, item: SliceItem, hooks: SliceHooks): number {
  for (let i = 0; i < slicing.slices.length; i++) if ((slicing.slices[i] as Slice).match?.(item, hooks) === true) return i;
  return -1;
}

function checkLimits(run: Run, node: ConstraintNode, value: unknown, expr: At): void {
  const now = (run.ctx.options.now ?? Date.now)();
  if (node.minValue !== undefined && (compareToLimit(value, node.minValue, 'min', now) ?? 0) < 0) {
    const text = `${node.id}: the value in the instance (${showValue(value)}) is less than the specified minimum value (${showValue(node.minValue.value)}${node.minValue.kind === 'Duration' ? ' before now' : ''})`;
    run.issues.error('invalid', `${text}${run.suffix}`, expr);
  }
  if (node.maxValue !== undefined && (compareToLimit(value, node.maxValue, 'max', now) ?? 0) > 0) {
    const text = `${node.id}: the value in the instance (${showValue(value)}) is greater than the specified maximum value (${showValue(node.maxValue.value)}${node.maxValue.kind === 'Duration' ? ' after now' : ''})`;
    run.issues.error('invalid', `${text}${run.suffix}`, expr);
  }
}

/** A value in the sandbox: does it conform to `url` (base definition of its type + the profile)? */
function conforms(run: Run, value: unknown, url: string): boolean {
  const profile = run.ctx.profile(url);
  if (profile === undefined) {
    // A core type named as a profile: the resource type decides.
    const core = /^http:\/\/hl7\.org\/fhir\/StructureDefinition\/([A-Za-z]+)$/.exec(url)?.[1];
    return core !== undefined && isObject(value) && value.resourceType === core;
  }
  if (!isObject(value)) return false;
  const sandbox = new Issues();
  if (typeof value.resourceType === 'string') {
    if (value.resourceType !== profile.type) return false;
    checkResource(run.ctx, sandbox, value, profile.type);
  }
  checkProfile(run.ctx, sandbox, profile, value, profile.type, run.env);
  return !sandbox.list.some((i) => i.severity === 'error' || i.severity === 'fatal');
}

/**
 * type[].profile: the value must conform to one of them. With one, its issues are reported as they are; with
 * several, an error says none fits when none does. See: https://hl7.org/fhir/R4/elementdefinition-definitions.html#ElementDefinition.type.profile
 */
function checkTypeProfiles(run: Run, node: ConstraintNode, value: unknown, expr: At): void {
  const urls = node.typeProfiles ?? [];
  const known = urls.map((u) => run.ctx.profile(u)).filter((p): p is CompiledProfile => p !== undefined);
  if (known.length === 0) return;
  if (urls.length === 1 && known[0] !== undefined && isObject(value)) {
    checkProfile(run.ctx, run.issues, known[0], value, expr, run.env);
    return;
  }
  if (!urls.some((u) => conforms(run, value, u))) {
    run.issues.error('structure', `${node.id}: the value conforms to none of the profiles ${urls.join(', ')}${run.suffix}`, expr);
  }
}

/** A Reference narrowed by the profile: to core types, or to resources meeting profiles (checked when resolvable). */
function checkTargets(run: Run, node: ConstraintNode, ref: Json, expr: At): void {
  if (typeof ref.reference !== 'string') return;
  const resolved = resolveReference(ref.reference, run.env);
  if (node.targetTypes !== undefined) {
    const type = resolved !== undefined ? String(resolved.resourceType) : typeOfReference(ref.reference);
    if (type !== undefined && !node.targetTypes.has(type)) {
      const text = `${node.id}: the reference points at a ${type}, allowed: ${[...node.targetTypes].join(', ')}`;
      run.issues.error('structure', `${text}${run.suffix}`, expr);
    }
  }
  const profiles = node.targetProfiles ?? [];
  if (resolved !== undefined && profiles.length > 0 && !profiles.some((p) => conforms(run, resolved, p))) {
    const text = `${node.id}: the referenced resource ${ref.reference} does not conform to ${profiles.join(' or ')}`;
    run.issues.error('structure', `${text}${run.suffix}`, expr);
  }
}
