import { isFhirError } from '../../src/errors/fhir-error';

/** Runs `fn`, expects a FhirError, and returns its code, status and the first issue's expression. */
export function refusal(fn: () => unknown): { code: string; status: number; expression?: string[] } {
  try {
    fn();
  } catch (e) {
    if (!isFhirError(e)) throw e;
    return { code: e.code, status: e.status, expression: e.outcome.issue[0]?.expression };
  }
  throw new Error('expected a FhirError');
}
