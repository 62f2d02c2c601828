import type { Interaction, Permission } from './contracts';

/**
 * SMART scope parsing (v1 and v2) into atomic permissions, done once at authentication; routes then ask
 * {@link isPermitted}. Pure: no I/O.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html
 */

const CONTEXTS: ReadonlySet<string> = new Set(['patient', 'user', 'system']);
const V2_ORDER: readonly Interaction[] = ['c', 'r', 'u', 'd', 's'];
/** v1 → v2 equivalents (STU2.2 §"Scopes for requesting FHIR resources", v1 table). */
const V1: Readonly<Record<string, readonly Interaction[]>> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': V2_ORDER,
};
const SCOPE = /^([a-z]+)\/(\*|[A-Z][A-Za-z]{0,63})\.([a-z*]+)(?:\?(.*))?$/;

/**
 * Expands a space-separated scope string into permissions. Non-resource scopes (`openid`, `launch`,
 * `offline_access`, `fhirUser`, …) and malformed resource scopes (e.g. v2 letters out of order, `.sr`,
 * `.rx`) are ignored: an unparseable scope grants nothing.
 * @example parseScopes('launch patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs')
 */
export function parseScopes(scope: string): Permission[] {
  const out: Permission[] = [];
  for (const token of scope.split(/\s+/)) {
    const permission = parseScope(token);
    if (permission !== undefined) out.push(permission);
  }
  return out;
}

function parseScope(token: string): Permission | undefined {
  const m = SCOPE.exec(token);
  if (m === null) return undefined;
  const [, context = '', resourceType = '', verbs = '', query] = m;
  if (!CONTEXTS.has(context)) return undefined;
  const v1 = V1[verbs];
  const interactions = v1 ?? v2Interactions(verbs);
  if (interactions === undefined) return undefined;
  const permission: Permission = { context: context as Permission['context'], resourceType, interactions: new Set(interactions) };
  if (query === undefined) return permission;
  // Query restrictions are a v2 feature; a v1 scope with one, or an unreadable query, grants nothing.
  if (v1 !== undefined) return undefined;
  const parsed = parseQuery(query);
  return parsed === undefined ? undefined : { ...permission, query: parsed };
}

/** v2 `[c][r][u][d][s]`: each letter at most once, in that order, at least one. */
function v2Interactions(verbs: string): Interaction[] | undefined {
  const out: Interaction[] = [];
  let next = 0;
  for (const letter of verbs) {
    const at = V2_ORDER.indexOf(letter as Interaction, next);
    if (at < 0) return undefined;
    out.push(letter as Interaction);
    next = at + 1;
  }
  return out.length > 0 ? out : undefined;
}

function parseQuery(query: string): Readonly<Record<string, string>> | undefined {
  if (query === '') return undefined;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 1) return undefined;
    const name = safeDecode(pair.slice(0, eq));
    const value = safeDecode(pair.slice(eq + 1));
    if (name === undefined || value === undefined || value === '' || Object.hasOwn(out, name)) return undefined;
    out[name] = value;
  }
  return Object.freeze(out);
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

const matches = (p: Permission, resourceType: string, interaction: Interaction): boolean =>
  (p.resourceType === '*' || p.resourceType === resourceType) && p.interactions.has(interaction);

/**
 * True when some permission grants `interaction` on `resourceType` (query-restricted ones included:
 * enforce their restriction with {@link permittedQueries}). The patient compartment is the caller's.
 */
export function isPermitted(perms: readonly Permission[], resourceType: string, interaction: Interaction): boolean {
  return perms.some((p) => matches(p, resourceType, interaction));
}

/**
 * The query restrictions that apply: `null` when an unrestricted permission grants the interaction,
 * otherwise the restrictions of the granting permissions (any one of them suffices; empty = not permitted).
 * See: STU2.2 §"Finer-grained resource constraints using search parameters".
 */
export function permittedQueries(
  perms: readonly Permission[],
  resourceType: string,
  interaction: Interaction,
): ReadonlyArray<Readonly<Record<string, string>>> | null {
  const granting = perms.filter((p) => matches(p, resourceType, interaction));
  if (granting.some((p) => p.query === undefined)) return null;
  return granting.map((p) => p.query as Readonly<Record<string, string>>);
}
