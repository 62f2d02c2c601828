import type { CodeableConcept, Device, Identifier, Observation } from 'fhir/r4';
import { forbidden } from '../errors/fhir-error';
import { parseDeviceSearch, parseObservationSearch } from '../fhir';
import type { TokenParam } from '../store/port';

/**
 * Enforcement of SMART v2 query-restricted scopes (`patient/Observation.rs?category=…|vital-signs`) on
 * searches and reads. Pure: no Hapi, no I/O.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html#finer-grained-resource-constraints-using-search-parameters
 */

/** The query of one restricted permission, as parsed by `parseScopes` (`Permission.query`). */
export type Restriction = Readonly<Record<string, string>>;

const TOKEN_FIELDS = ['code', 'category', 'identifier'] as const;
const REFERENCE_FIELDS = ['subject', 'device', 'patient'] as const;
type TokenField = (typeof TOKEN_FIELDS)[number];
type ReferenceField = (typeof REFERENCE_FIELDS)[number];

/**
 * The filter part of an Observation or Device query: token fields (outer AND, inner OR) and reference
 * fields (OR). Both `ObservationQuery` and `DeviceQuery` have this shape.
 */
export type SearchFilter = Partial<Record<TokenField, TokenParam[][]>> & Partial<Record<ReferenceField, string[]>>;

/** Restriction parameters we can enforce on reads too (a `date` or `_…` restriction is not one of them). */
const ENFORCEABLE: Readonly<Record<string, ReadonlySet<string>>> = {
  Observation: new Set(['code', 'category', 'patient', 'subject', 'device']),
  Device: new Set(['identifier', 'patient']),
};

const ONE = { defaultCount: 1, maxCount: 1 };

/**
 * The restriction as a search filter, or `undefined` when it cannot be enforced on `resourceType`
 * (unknown parameter, malformed value): such a permission then grants nothing — fail closed.
 * @example restrictionFilter('Observation', { category: 'http://terminology.hl7.org/CodeSystem/observation-category|vital-signs' })
 * // → { category: [[{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }]] }
 */
export function restrictionFilter(resourceType: string, restriction: Restriction): SearchFilter | undefined {
  const allowed = ENFORCEABLE[resourceType];
  if (allowed === undefined || Object.keys(restriction).some((name) => !allowed.has(name))) return undefined;
  try {
    const parsed = resourceType === 'Observation' ? parseObservationSearch({ ...restriction }, ONE) : parseDeviceSearch({ ...restriction }, ONE);
    return filterOf(parsed as SearchFilter);
  } catch {
    return undefined;
  }
}

function filterOf(query: SearchFilter): SearchFilter {
  const out: SearchFilter = {};
  for (const field of TOKEN_FIELDS) if (query[field] !== undefined) out[field] = query[field];
  for (const field of REFERENCE_FIELDS) if (query[field] !== undefined) out[field] = query[field];
  return out;
}

/**
 * Narrows a search to what the restrictions allow. One restriction is ANDed into the query. Several
 * (any one suffices) are merged when they constrain the same single parameter (`category=a` and
 * `category=b` → `category=a,b`); other combinations cannot be expressed as one query and are refused
 * (403 ERR_SCOPE_QUERY_COMBINATION) rather than widened. Returns `undefined` when the narrowed query can
 * match nothing (e.g. the client asked for a device the restriction excludes).
 */
export function restrictSearch<Q extends SearchFilter>(query: Q, filters: readonly SearchFilter[]): Q | undefined {
  const filter = filters.length === 1 ? filters[0] : mergeAlternatives(filters);
  if (filter === undefined) {
    throw forbidden('ERR_SCOPE_QUERY_COMBINATION', 'The query-restricted scopes of this token cannot be combined into one search; request one restriction per resource type');
  }
  const out: Q = { ...query };
  for (const field of TOKEN_FIELDS) {
    const extra = filter[field];
    if (extra !== undefined) out[field] = [...(out[field] ?? []), ...extra];
  }
  for (const field of REFERENCE_FIELDS) {
    const allowed = filter[field];
    if (allowed === undefined) continue;
    const asked = out[field];
    const narrowed = asked === undefined ? [...allowed] : asked.filter((r) => allowed.includes(r));
    if (narrowed.length === 0) return undefined;
    out[field] = narrowed;
  }
  return out;
}

/** OR of single-parameter, single-occurrence filters on the same parameter → one filter; else undefined. */
function mergeAlternatives(filters: readonly SearchFilter[]): SearchFilter | undefined {
  const names = new Set(filters.flatMap((f) => Object.keys(f)));
  if (names.size !== 1 || filters.some((f) => Object.keys(f).length !== 1)) return undefined;
  const [name] = names as Set<TokenField | ReferenceField>;
  if ((TOKEN_FIELDS as readonly string[]).includes(name as string)) {
    const lists = filters.map((f) => f[name as TokenField] as TokenParam[][]);
    if (lists.some((l) => l.length !== 1)) return undefined;
    return { [name as TokenField]: [lists.flatMap((l) => l[0] as TokenParam[])] };
  }
  return { [name as ReferenceField]: [...new Set(filters.flatMap((f) => f[name as ReferenceField] as string[]))] };
}

/**
 * True when the resource satisfies at least one of the filters (a read under a restricted scope).
 * The same token and reference semantics as the store's search.
 */
export function satisfiesRestriction(resource: Observation | Device, filters: readonly SearchFilter[]): boolean {
  return filters.some((filter) => matchesFilter(resource, filter));
}

function matchesFilter(resource: Observation | Device, filter: SearchFilter): boolean {
  const values = resource.resourceType === 'Observation' ? observationValues(resource) : deviceValues(resource);
  for (const field of TOKEN_FIELDS) {
    const lists = filter[field];
    if (lists === undefined) continue;
    const codings = values.tokens[field] ?? [];
    // Each occurrence (AND) needs one of its tokens (OR) among the resource's codings.
    if (!lists.every((tokens) => tokens.some((t) => codings.some((c) => c.code === t.code && (t.system === undefined || t.system === c.system))))) {
      return false;
    }
  }
  for (const field of REFERENCE_FIELDS) {
    const allowed = filter[field];
    if (allowed !== undefined && !allowed.includes(values.references[field] ?? '')) return false;
  }
  return true;
}

interface ResourceValues {
  tokens: Partial<Record<TokenField, Array<{ system?: string; code?: string }>>>;
  references: Partial<Record<ReferenceField, string>>;
}

const codings = (concepts: readonly CodeableConcept[] | undefined) => (concepts ?? []).flatMap((c) => c.coding ?? []);
const identifierTokens = (ids: readonly Identifier[] | undefined) => (ids ?? []).map((i) => ({ system: i.system, code: i.value }));

function observationValues(o: Observation): ResourceValues {
  const subject = o.subject?.reference;
  return {
    tokens: { code: codings(o.code === undefined ? [] : [o.code]), category: codings(o.category) },
    references: { subject, patient: subject, device: o.device?.reference },
  };
}

function deviceValues(d: Device): ResourceValues {
  return { tokens: { identifier: identifierTokens(d.identifier) }, references: { patient: d.patient?.reference } };
}
