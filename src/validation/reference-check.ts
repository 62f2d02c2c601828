import type { At, Issues } from './issues';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Where references are resolved: the resource's own `contained` (for `#id`) and, inside a Bundle or Parameters,
 * the other resources it carries (by fullUrl or `Type/id`).
 * See: https://hl7.org/fhir/R4/references.html#contained and https://hl7.org/fhir/R4/bundle.html#references
 */
export interface ReferenceScope {
  /**
   * The resource holding `contained` (the outermost non-container resource). Named as in InvariantEnv, which is
   * a ReferenceScope itself: the base pass hands its environment over, no scope object per reference.
   */
  readonly rootResource: unknown;
  /** Resources of the enclosing Bundle / Parameters, by fullUrl and by `Type/id`. */
  readonly container?: ContainerIndex;
}

export interface ContainerIndex {
  readonly kind: 'document' | 'message' | 'bundle' | 'parameters';
  readonly byKey: ReadonlyMap<string, Json>;
}

const RESOURCE_TYPE = /^[A-Z][A-Za-z]+$/;
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;

/** Indexes the resources of a Bundle (by fullUrl and its `Type/id` tail) or of a Parameters resource. */
export function indexContainer(resource: Json): ContainerIndex | undefined {
  if (resource.resourceType !== 'Bundle' && resource.resourceType !== 'Parameters') return undefined; // the usual case: no map
  const byKey = new Map<string, Json>();
  const add = (r: unknown, fullUrl: unknown): void => {
    if (!isObject(r)) return;
    if (typeof fullUrl === 'string') byKey.set(fullUrl, r);
    if (typeof r.resourceType === 'string' && typeof r.id === 'string') byKey.set(`${r.resourceType}/${r.id}`, r);
  };
  if (resource.resourceType === 'Bundle') {
    for (const e of Array.isArray(resource.entry) ? resource.entry : []) if (isObject(e)) add(e.resource, e.fullUrl);
    const type = resource.type === 'document' || resource.type === 'message' ? resource.type : 'bundle';
    return { kind: type, byKey };
  }
  if (resource.resourceType === 'Parameters') {
    const walk = (params: unknown): void => {
      for (const p of Array.isArray(params) ? params : []) {
        if (!isObject(p)) continue;
        add(p.resource, undefined);
        // A Bundle passed as a parameter (e.g. a transaction) carries resources a sibling parameter may reference.
        if (isObject(p.resource) && p.resource.resourceType === 'Bundle') {
          for (const e of Array.isArray(p.resource.entry) ? p.resource.entry : []) if (isObject(e)) add(e.resource, e.fullUrl);
        }
        walk(p.part);
      }
    };
    walk(resource.parameter);
    return { kind: 'parameters', byKey };
  }
  return undefined;
}

/** The resource a reference points at, when it is in scope. */
export function resolveReference(ref: string, scope: ReferenceScope): Json | undefined {
  if (ref.startsWith('#')) {
    const contained = isObject(scope.rootResource) && Array.isArray(scope.rootResource.contained) ? scope.rootResource.contained : [];
    return contained.find((c: unknown): c is Json => isObject(c) && c.id === ref.slice(1));
  }
  const byKey = scope.container?.byKey;
  if (byKey === undefined) return undefined;
  return byKey.get(ref) ?? (ABSOLUTE.test(ref) ? byKey.get(typeAndId(ref) ?? '') : undefined);
}

/** `Patient/123` from `Patient/123`, `https://x/fhir/Patient/123` or `…/Patient/123/_history/2`. */
function typeAndId(ref: string): string | undefined {
  const parts = ref.split('/');
  const h = parts.indexOf('_history');
  const end = h >= 0 ? h : parts.length;
  const [type, id] = [parts[end - 2], parts[end - 1]];
  return type !== undefined && id !== undefined && RESOURCE_TYPE.test(type) ? `${type}/${id}` : undefined;
}

/**
 * Reference.reference: its target type is one the element allows (read from the reference itself, or from the
 * resolved resource for `#id` and `urn:uuid:`), and within a document, message or Parameters the reference
 * resolves to a resource carried with it.
 * See: https://hl7.org/fhir/R4/references.html#Reference and https://hl7.org/fhir/R4/documents.html#content
 */
export function checkReference(
  issues: Issues,
  ref: Json,
  at: At,
  targets: ReadonlySet<string> | undefined,
  scope: ReferenceScope,
  models: ReadonlyMap<string, { readonly isResource: boolean }>,
): void {
  const reference = ref.reference;
  if (typeof reference !== 'string' || reference.length === 0) return;
  const resolved = resolveReference(reference, scope);
  const type = isObject(resolved) && typeof resolved.resourceType === 'string' ? resolved.resourceType : typeOfReference(reference);
  if (type !== undefined && models.get(type)?.isResource !== true) {
    issues.error('structure', `Invalid Resource target type: '${type}' is not a resource type`, at);
    return;
  }
  if (type !== undefined && targets !== undefined && !targets.has(type)) {
    issues.error('structure', `Invalid Resource target type. Found ${type}, but expected one of (${[...targets].join(', ')})`, at);
  }
  if (resolved === undefined && mustResolve(reference, scope)) {
    issues.error('not-found', `Unable to resolve resource with reference '${reference}' within the ${scope.container?.kind ?? 'resource'}`, at);
  }
}

/** The type named by a relative or absolute RESTful reference; undefined for urn:, #id and logical forms. */
export function typeOfReference(ref: string): string | undefined {
  if (ref.startsWith('#') || ref.startsWith('urn:')) return undefined;
  // Fast path for the common relative form `Type/id` (hot: every Observation has a subject and a device).
  const slash = ref.indexOf('/');
  if (slash > 0 && ref.indexOf('/', slash + 1) < 0 && ref.indexOf(':') < 0) {
    const type = ref.slice(0, slash);
    return RESOURCE_TYPE.test(type) ? type : /^[A-Za-z]+$/.test(type) ? type : undefined;
  }
  const tail = typeAndId(ref);
  if (tail !== undefined) return tail.split('/')[0];
  const first = ref.split('/')[0] ?? '';
  return !ABSOLUTE.test(ref) && ref.split('/').length === 2 && /^[A-Za-z]+$/.test(first) ? first : undefined;
}

/**
 * References that must be found: in documents, messages and Parameters, relative and urn: references (they can
 * only mean a resource carried along). In other Bundles (transaction, collection, searchset …) a reference may
 * point outside, as the HL7 validator accepts (fhir-test-cases ref-policy-default-r4).
 */
function mustResolve(ref: string, scope: ReferenceScope): boolean {
  const kind = scope.container?.kind;
  if (kind === undefined || kind === 'bundle' || ref.startsWith('#')) return false;
  return ref.startsWith('urn:') || !ABSOLUTE.test(ref);
}
