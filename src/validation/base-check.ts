import { checkBinding } from './bindings';
import type { Issues } from './issues';
import { checkExtension, type ExtensionDefinition, type ExtensionSite } from './extension-check';
import type { CompiledInvariant, InvariantEnv } from './invariants';
import type { PrimitiveCheck } from './primitives';
import { checkReference, indexContainer, type ContainerIndex } from './reference-check';
import type { CompiledProfile } from './profile-model';
import type { PropRule, TypeModel } from './type-model';
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
 * See: https://hl7.org/fhir/R4/json.html and https://hl7.org/fhir/R4/validation.html
 */
export function checkResource(
  ctx: BaseContext,
  issues: Issues,
  value: unknown,
  expr: string,
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
  checkObject(ctx, issues, env, model, value, at, { names: [model.name], isResource: true, canonical: model.props.has('url') && model.props.has('status') });
  if (model.name === 'Bundle') checkTypeRules(ctx.valueSets, issues, 'Bundle', value, at);
}

function checkObject(ctx: BaseContext, issues: Issues, env: InvariantEnv, model: TypeModel, obj: Json, expr: string, site: ExtensionSite): void {
  let choices: Map<unknown, string> | undefined;
  for (const key of Object.keys(obj)) {
    if (key === 'resourceType' && model.isResource) continue;
    const prop = model.props.get(key);
    if (prop === undefined) {
      issues.error('structure', `Unknown element '${key}' in ${model.name}`, `${expr}.${key}`);
      continue;
    }
    if (prop.element.isChoice) {
      choices ??= new Map();
      const plain = prop.shadow ? key.slice(1) : key;
      const seen = choices.get(prop.element);
      if (seen !== undefined && seen !== plain) {
        issues.error('structure', `Only one of ${seen} and ${plain} may be present: ${prop.element.name} takes a single value`, `${expr}.${plain}`);
      }
      choices.set(prop.element, plain);
    }
    checkProperty(ctx, issues, env, prop, obj, key, expr, site);
  }
  for (const el of model.required) {
    if (!el.keys.some((k) => obj[k] !== undefined)) {
      const name = el.isChoice ? el.name.slice(0, -3) : el.name;
      issues.error('required', `Missing required element '${el.name}' (minimum cardinality ${el.min}) in ${model.name}`, `${expr}.${name}`);
    }
  }
  runInvariants(issues, model.invariants, obj, expr, env);
}

function checkProperty(ctx: BaseContext, issues: Issues, env: InvariantEnv, prop: PropRule, obj: Json, key: string, expr: string, site: ExtensionSite): void {
  const value = obj[key];
  const at = `${expr}.${key}`;
  const el = prop.element;
  if (!Array.isArray(value)) {
    if (el.isArray) issues.error('structure', `'${key}' must be a JSON array (maximum cardinality ${el.max})`, at);
    else if (value === null) issues.error('structure', `'${key}' must not be null`, at);
    else checkItem(ctx, issues, env, prop, value, at, site);
    return;
  }
  if (!el.isArray) {
    issues.error('structure', `'${key}' must be a single value, not an array (maximum cardinality 1)`, at);
    return;
  }
  if (value.length === 0) {
    issues.error('structure', `'${key}' must not be an empty array`, at);
    return;
  }
  if (value.length > el.max) issues.error('structure', `'${key}' has ${value.length} items, maximum is ${el.max}`, at);
  // Primitive arrays pair with `_key` arrays; a null holds a place when only the other side has content.
  // See: https://hl7.org/fhir/R4/json.html#primitive
  const partner = prop.primitive ? obj[`_${key}`] : prop.shadow ? obj[key.slice(1)] : undefined;
  const partnerItems = Array.isArray(partner) ? partner : undefined;
  if (partnerItems !== undefined && partnerItems.length !== value.length) {
    issues.error('structure', `'${key}' and its pair must have the same number of items`, at);
  }
  value.forEach((item: unknown, i) => {
    if (item !== null) checkItem(ctx, issues, env, prop, item, `${at}[${i}]`, site);
    else if (partnerItems?.[i] == null) issues.error('structure', `'${key}' has a null item with no counterpart`, `${at}[${i}]`);
  });
}

function checkItem(ctx: BaseContext, issues: Issues, env: InvariantEnv, prop: PropRule, item: unknown, at: string, site: ExtensionSite): void {
  const el = prop.element;
  if (prop.primitive) {
    const problem = ctx.primitives.get(prop.type)?.(item);
    if (problem !== undefined) issues.error(problem.code, `${el.path} (${prop.type}) ${problem.text}`, at);
    else if (ctx.options.securityChecks === true || ctx.options.forbidExampleUrls === true) checkOptional(ctx, issues, prop.type, item, at);
    if (problem !== undefined) return;
    if (el.binding !== undefined) checkBinding(ctx.valueSets, issues, el.binding, prop.type, item, at);
    else if (el.extensible !== undefined) checkBinding(ctx.valueSets, issues, el.extensible, prop.type, item, at, '', 'warning');
    runInvariants(issues, el.invariants, item, at, env);
    return;
  }
  if (!isObject(item)) {
    issues.error('structure', `${el.path} (${prop.type}) must be a JSON object`, at);
    return;
  }
  const keys = Object.keys(item);
  // ele-1: an element has a value or children other than id. See: https://hl7.org/fhir/R4/element.html#invs
  if (keys.length === 0 || (keys.length === 1 && keys[0] === 'id')) {
    issues.error('structure', `${el.path} must not be empty: an element needs a value or children`, at);
    return;
  }
  if (prop.type === 'Resource' || ctx.models.get(prop.type)?.isResource) {
    // %rootResource of a contained resource is its container; a Bundle entry is its own root.
    checkResource(ctx, issues, item, at, el.name === 'contained' ? env.rootResource : undefined, env.container);
    return;
  }
  const model = !prop.shadow && el.children ? el.children() : ctx.models.get(prop.type);
  if (model !== undefined) checkObject(ctx, issues, env, model, item, at, prop.site);
  if (prop.type === 'Extension' && (el.name === 'extension' || el.name === 'modifierExtension')) {
    checkExtension(ctx, issues, item, at, el.name === 'modifierExtension', site, env);
  }
  if (prop.shadow) return;
  checkTypeRules(ctx.valueSets, issues, prop.type, item, at);
  if (prop.type === 'Reference') {
    const scope = { root: env.rootResource, container: env.container };
    checkReference(issues, item, at, el.targets, scope, (t) => ctx.models.get(t)?.isResource === true);
  }
  if (el.binding !== undefined) checkBinding(ctx.valueSets, issues, el.binding, prop.type, item, at);
  else if (el.extensible !== undefined) checkBinding(ctx.valueSets, issues, el.extensible, prop.type, item, at, '', 'warning');
  runInvariants(issues, el.invariants, item, at, env);
}

/** Evaluates native invariants; the text names the key as the HL7 validator does. */
export function runInvariants(
  issues: Issues,
  invariants: readonly CompiledInvariant[],
  value: unknown,
  at: string,
  env: InvariantEnv,
  suffix = '',
): void {
  for (const inv of invariants) {
    if (!inv.test(value, env)) issues.add(inv.severity, 'invariant', `Constraint failed: ${inv.key}: '${inv.human}'${suffix}`, at);
  }
}

/** Checks the reference validator makes only when asked: embedded HTML in strings, example URLs. */
function checkOptional(ctx: BaseContext, issues: Issues, type: string, value: unknown, at: string): void {
  if (typeof value !== 'string') return;
  // See: https://hl7.org/fhir/R4/security.html#narrative — active content belongs in Narrative only, and is checked there.
  if (ctx.options.securityChecks === true && (type === 'string' || type === 'markdown') && /<\/?[a-z!][^>]*>/i.test(value)) {
    issues.error('security', 'The string value contains text that looks like embedded HTML tags, which are not allowed for security reasons', at);
  }
  if (ctx.options.forbidExampleUrls === true && type === 'url' && isExampleUrl(value)) {
    issues.error('invalid', `Example URLs are not allowed in this context (${value})`, at);
  }
}
