import type { OperationOutcome, Resource } from 'fhir/r4';

/**
 * The validation port. Issue 2 ships a first engine (snapshot-driven); issue 4 replaces it behind this
 * same interface. Pure: definitions are handed in at construction, nothing is read from disk here.
 */
export interface ValidateOptions {
  /** Profile canonical URLs to check in addition to meta.profile and the automatic vital-signs profile. */
  profiles?: string[];
}

export interface Validator {
  /** Returns an OperationOutcome; `issue` is empty... never: an all-clear holds one `information` issue. */
  validate(resource: Resource, options?: ValidateOptions): OperationOutcome;
}
