import { checkBinding } from './bindings';
import { Step, type At, type Issues } from './issues';
import { checkExtension, type ExtensionDefinition, type ExtensionSite } from './extension-check';
import type { CompiledInvariant, InvariantEnv } from './invariants';
import type { PrimitiveCheck } from './primitives';
import { checkReference, indexContainer, type ContainerIndex } from './reference-check';
import type { CompiledProfile } from './profile-model';
import { REQUIRED_BITS, SHAPE_KEYS, type ElementRule, type PropRule, type TypeModel } from './type-model';
import { checkTypeRules } from './type-rules';
import { isExampleUrl, type ValidatorOptions } from './validator-options';
import type { ValueSetIndex } from './value-sets';

/** What the base (core R4) pass needs; built once per validator. */
export interface BaseContext {
  /** Compiled resources and complex datatypes by type name. */
  readonly models: ReadonlyMap<string, TypeModel>;
  readonly primitives: ReadonlyMap<string, PrimitiveCheck>;
  readonly valueSets: ValueSetIndex;
  readonly options: ValidatorOptions;
  /** Compiled profiles (not extensions) by canonical URL. */
  readonly profile: (url: string) => CompiledProfile | undefined;
  /** Extension definitions by canonical URL (compiled on first use). */
  readonly extension: (url: string) => ExtensionDefinition | undefined;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a resource against the core R4 definitions: known properties, JSON shapes (array vs single, no empty
 * objects/arrays/strings, no nulls outside primitive arrays), cardinality, datatypes recursively, primitive
 * formats, one type per choice element, required bindings and the native invariants.
 * Locations are `At` values, made into text only for an issue (see issues.ts).
 * See: https://hl7.org/fhir/R4/json.html and https://hl7.org/fhir/R4/validation.html
 */
export function checkResource(
  ctx: BaseContext,
  issues: Issues,
  value: unknown,
  expr: At,
  rootResource?: unknown,
  container?: ContainerIndex,
): void {
  if (!isObject(value)) {
    issues.error('structure', 'A resource must be a JSON object', expr === '' ? undefined : expr);
    return;
  }
  const rt = value.resourceType;
  const model = typeof rt === 'string' ? ctx.models.get(rt) : undefined;
  if (model === undefined || !model.isResource) {
    const text = typeof rt === 'string' ? `Unknown resourceType '${rt}'` : 'Missing resourceType';
    issues.error(typeof rt === 'string' ? 'structure' : 'required', text, expr === '' ? 'resourceType' : `${expr}.resourceType`);
    return;
  }
  const env: InvariantEnv = { resource: value, rootResource: rootResource ?? value, container: indexContainer(value) ?? container };
  const at = expr === '' ? model.name : expr;
  model.site ??= { names: [model.name], isResource: true, canonical: model.props.has('url') && model.props.has('status') };
  checkObject(ctx, issues, env, model, value, at, model.site);
  if (model.name === 'Bundle') checkTypeRules(ctx.valueSets, issues, 'Bundle', value, at);
}

/**
 * `Object.prototype.hasOwnProperty`, called on the key of a `for…in` over the same object: V8 can answer it from
 * the enumeration cache (no lookup), where `Object.keys` makes an array per object and `Object.hasOwn` is a call.
 * Same answers as `Object.keys` / `Object.hasOwn`: own enumerable keys, in their order.
 */
const hasOwn = Object.prototype.hasOwnProperty;

function checkObject(ctx: BaseContext, issues: Issues, env: InvariantEnv, model: TypeModel, obj: Json, expr: At, site: ExtensionSite): void {
  /** Choice elements met in this object and the key each was last seen under: `[element, key, element, key …]` (a few). */
  let choices: (ElementRule | string)[] | undefined;
  /** Required elements met with a value (PropRule.requiredBit). */
  let met = 0;
  let position = 0;
  for (const key in obj) {
    if (!hasOwn.call(obj, key) || (key === 'resourceType' && model.isResource)) continue;
    const prop = propAt(model, key, position++);
    if (prop === undefined) {
      issues.error('structure', `Unknown element '${key}' in ${model.name}`, `${String(expr)}.${key}`);
      continue;
    }
    if (prop.element.isChoice) {
      // One type per choice element (https://hl7.org/fhir/R4/formats.html#choice); compared with the key last seen.
      const plain = prop.shadow ? key.slice(1) : key;
      choices ??= [];
      const i = choices.indexOf(prop.element);
      if (i < 0) choices.push(prop.element, plain);
      else {
        const seen = choices[i + 1] as string;
        if (seen !== plain) {
          issues.error('structure', `Only one of ${seen} and ${plain} may be present: ${prop.element.name} takes a single value`, `${String(expr)}.${plain}`);
        }
        choices[i + 1] = plain;
      }
    }
    const value = obj[key];
    if (prop.requiredBit !== 0 && value !== undefined) met |= prop.requiredBit;
    checkProperty(ctx, issues, env, prop, obj, key, value, expr, site);
  }
  const required = model.required;
  for (let i = 0; i < required.length; i++) {
    if (i < REQUIRED_BITS && (met & (1 << i)) !== 0) continue; // met above; the others are looked up as before
    const el = required[i] as ElementRule;
    if (!anyPresent(obj, el.keys)) {
      const name = el.isChoice ? el.name.slice(0, -3) : el.name;
      issues.error('required', `Missing required element '${el.name}' (minimum cardinality ${el.min}) in ${model.name}`, `${String(expr)}.${name}`);
    }
  }
  if (model.invariants.length > 0) runInvariants(issues, model.invariants, obj, expr, env);
}

/** `model.props.get(key)`, answered from the model's memo of the last object's keys when the key repeats there. */
function propAt(model: TypeModel, key: string, position: number): PropRule | undefined {
  if (position >= SHAPE_KEYS) return model.props.get(key);
  if (model.shapeKeys[position] === key) return model.shapeProps[position];
  const prop = model.props.get(key);
  model.shapeKeys[position] = key;
  model.shapeProps[position] = prop;
  return prop;
}

function anyPresent(obj: Json, keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) if (obj[keys[i] as string] !== undefined) return true;
  return false;
}

function checkProperty(ctx: BaseContext, issues: Issues, env: InvariantEnv, prop: PropRule, obj: Json, key: string, value: unknown, expr: At, site: ExtensionSite): void {
  const el = prop.element;
  if (!Array.isArray(value)) {
    if (el.isArray) issues.error('structure', `'${key}' must be a JSON array (maximum cardinality ${el.max})`, new Step(expr, key));
    else if (value === null) issues.error('structure', `'${key}' must not be null`, new Step(expr, key));
    else if (prop.primitive) checkPrimitive(ctx, issues, env, prop, value, expr, key, -1);
    else checkItem(ctx, issues, env, prop, value, new Step(expr, key), site);
    return;
  }
  if (!el.isArray) {
    issues.error('structure', `'${key}' must be a single value, not an array (maximum cardinality 1)`, new Step(expr, key));
    return;
  }
  if (value.length === 0) {
    issues.error('structure', `'${key}' must not be an empty array`, new Step(expr, key));
    return;
  }
  if (value.length > el.max) issues.error('structure', `'${key}' has ${value.length} items, maximum is ${el.max}`, new Step(expr, key));
  // Primitive arrays pair with `_key` arrays; a null holds a place when only the other side has content.
  // See: https://hl7.org/fhir/R4/json.html#primitive
  const partner = prop.partner === undefined ? undefined : obj[prop.partner];
  const partnerItems = Array.isArray(partner) ? partner : undefined;
  if (partnerItems !== undefined && partnerItems.length !== value.length) {
    issues.error('structure', `'${key}' and its pair must have the same number of items`, new Step(expr, key));
  }
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (item === null) {
      if (partnerItems?.[i] == null) issues.error('structure', `'${key}' has a null item with no counterpart`, new Step(expr, key, i));
    } else if (prop.primitive) checkPrimitive(ctx, issues, env, prop, item, expr, key, i);
    else checkItem(ctx, issues, env, prop, item, new Step(expr, key, i), site);
  }
}

/** A complex value (a primitive goes to checkPrimitive). */
function checkItem(ctx: BaseContext, issues: Issues, env: InvariantEnv, prop: PropRule, item: unknown, at: At, site: ExtensionSite): void {
  const el = prop.element;
  if (!isObject(item)) {
    issues.error('structure', `${el.path} (${prop.type}) must be a JSON object`, at);
    return;
  }
  // ele-1: an element has a value or children other than id. See: https://hl7.org/fhir/R4/element.html#invs
  if (!hasContent(item)) {
    issues.error('structure', `${el.path} must not be empty: an element needs a value or children`, at);
    return;
  }
  if (prop.holdsResource === true) {
    // %rootResource of a contained resource is its container; a Bundle entry is its own root.
    checkResource(ctx, issues, item, at, el.name === 'contained' ? env.rootResource : undefined, env.container);
    return;
  }
  const model = prop.model;
  if (model !== undefined) checkObject(ctx, issues, env, model, item, at, prop.site);
  if (prop.type === 'Extension' && (el.name === 'extension' || el.name === 'modifierExtension')) {
    checkExtension(ctx, issues, item, at, el.name === 'modifierExtension', site, env);
  }
  if (prop.shadow) return;
  checkTypeRules(ctx.valueSets, issues, prop.type, item, at);
  if (prop.type === 'Reference') {
    checkReference(issues, item, at, el.targets, env, ctx.models);
  }
  if (el.binding !== undefined) checkBinding(ctx.valueSets, issues, el.binding, prop.type, item, at);
  else if (el.extensible !== undefined) checkBinding(ctx.valueSets, issues, el.extensible, prop.type, item, at, '', 'warning');
  if (el.invariants.length > 0) runInvariants(issues, el.invariants, item, at, env);
}

/**
 * A primitive value at `parent.key` (`[index]` when >= 0). Primitives are most of the values of a resource and
 * nearly all are valid: the location is made only when an issue may be reported or a binding or invariant needs it.
 */
function checkPrimitive(ctx: BaseContext, issues: Issues, env: InvariantEnv, prop: PropRule, item: unknown, parent: At, key: string, index: number): void {
  const el = prop.element;
  const problem = primitiveCheck(ctx, prop)?.(item);
  if (problem !== undefined) {
    issues.error(problem.code, `${el.path} (${prop.type}) ${problem.text}`, new Step(parent, key, index));
    return;
  }
  const optional = ctx.options.securityChecks === true || ctx.options.forbidExampleUrls === true;
  if (!optional && el.binding === undefined && el.extensible === undefined && el.invariants.length === 0) return;
  const at = new Step(parent, key, index);
  if (optional) checkOptional(ctx, issues, prop.type, item, at);
  if (el.binding !== undefined) checkBinding(ctx.valueSets, issues, el.binding, prop.type, item, at);
  else if (el.extensible !== undefined) checkBinding(ctx.valueSets, issues, el.extensible, prop.type, item, at, '', 'warning');
  if (el.invariants.length > 0) runInvariants(issues, el.invariants, item, at, env);
}

/**
 * The lexical check of the property's primitive type, looked up once per property and kept on it (a property
 * belongs to the models of one validator, whose primitives never change; `null`: the type has none).
 */
function primitiveCheck(ctx: BaseContext, prop: PropRule): PrimitiveCheck | undefined {
  let check = prop.primitiveCheck;
  if (check === undefined) {
    check = ctx.primitives.get(prop.type) ?? null;
    prop.primitiveCheck = check;
  }
  return check ?? undefined;
}

/** Some own property other than `id` (the same as counting Object.keys, without making the array). */
function hasContent(item: Json): boolean {
  for (const k in item) if (k !== 'id' && hasOwn.call(item, k)) return true;
  return false;
}

/** Evaluates native invariants; the text names the key as the HL7 validator does. */
export function runInvariants(
  issues: Issues,
  invariants: readonly CompiledInvariant[],
  value: unknown,
  at: At,
  env: InvariantEnv,
  suffix = '',
): void {
  for (let i = 0; i < invariants.length; i++) {
    const inv = invariants[i] as CompiledInvariant;
    if (!inv.test(value, env)) issues.add(inv.severity, 'invariant', `Constraint failed: ${inv.key}: '${inv.human}'${suffix}`, at);
  }
}

/** Checks the reference validator makes only when asked: embedded HTML in strings, example URLs. */
function checkOptional(ctx: BaseContext, issues: Issues, type: string, value: unknown, at: At): void {
  if (typeof value !== 'string') return;
  // See: https://hl7.org/fhir/R4/security.html#narrative — active content belongs in Narrative only, and is checked there.
  if (ctx.options.securityChecks === true && (type === 'string' || type === 'markdown') && /<\/?[a-z!][^>]*>/i.test(value)) {
    issues.error('security', 'The string value contains text that looks like embedded HTML tags, which are not allowed for security reasons', at);
  }
  if (ctx.options.forbidExampleUrls === true && type === 'url' && isExampleUrl(value)) {
    issues.error('invalid', `Example URLs are not allowed in this context (${value})`, at);
  }
}
