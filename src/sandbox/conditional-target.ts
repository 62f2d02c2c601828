import type { Resource } from 'fhir/r4';
import { badRequest, FhirError } from '../errors/fhir-error';
import { matchesQuery, type SandboxStore, type SearchQuery } from './sandbox-store';

/** Where a conditional interaction lands: an existing resource, or none (then the caller creates). */
export interface ConditionalMatch {
  /** The one match, if any. */
  existing?: Resource;
}

/**
 * Finds the one resource a conditional create (`ifNoneExist` / `If-None-Exist`) or conditional update
 * (`PUT Type?search`) refers to, among stored resources and those `pending` earlier in the same transaction
 * (two entries for one identifier make one resource). More than one match is 412 Precondition Failed.
 * See: https://hl7.org/fhir/R4/http.html#ccreate and https://hl7.org/fhir/R4/http.html#cond-update
 */
export function findConditionalMatch(
  store: SandboxStore, type: string, query: SearchQuery, pending: readonly Resource[], expression: string,
): ConditionalMatch {
  if (![...query.keys()].some((name) => name !== '_count' && name !== '_offset')) {
    throw badRequest('ERR_SANDBOX_CONDITION_EMPTY', 'a conditional interaction needs search criteria', expression);
  }
  const stored = store.search(type, query);
  const inBundle = pending.filter((r) => r.resourceType === type && matchesQuery(r, query) && !stored.some((s) => s.id === r.id));
  const found = [...stored, ...inBundle];
  if (found.length > 1) {
    throw FhirError.of('ERR_SANDBOX_MULTIPLE_MATCHES', {
      code: 'duplicate', text: `the condition matches ${found.length} resources`, expression,
    }, { status: 412 });
  }
  return found[0] === undefined ? {} : { existing: found[0] };
}

/**
 * The id a conditional update writes to: the one match's id (a resource id in the body that differs is a 400),
 * else the body's id (update as create) or a fresh one.
 * See: https://hl7.org/fhir/R4/http.html#cond-update
 */
export function conditionalUpdateId(match: ConditionalMatch, resource: Resource, newId: () => string, expression: string): string {
  if (match.existing !== undefined) {
    if (resource.id !== undefined && resource.id !== match.existing.id) {
      throw badRequest('ERR_SANDBOX_CONDITION_ID', `the resource id '${resource.id}' is not that of the matching ${match.existing.resourceType}/${String(match.existing.id)}`, expression);
    }
    return match.existing.id ?? newId();
  }
  return resource.id ?? newId();
}
