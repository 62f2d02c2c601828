import { FhirError } from '../../src/errors/fhir-error';

/**
 * `"<status> <code>"` of the FhirError `promise` rejects with, or `fulfilled` when it resolves — so one
 * `expect(...).toBe(...)` states the outcome. Any other error is rethrown: it is a bug, not a refusal.
 */
export async function refusalCode(promise: Promise<unknown>, fulfilled: string): Promise<string> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof FhirError) return `${e.status} ${e.code}`;
    throw e;
  }
  return fulfilled;
}
