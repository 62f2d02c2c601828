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
  /**
   * Returns an OperationOutcome, never with an empty `issue` list: an all-clear holds exactly one issue
   * (severity `information`, code `informational`, text "Validation successful"). Errors and warnings carry the
   * FHIRPath `expression` of the element; issues from a profile name it in their text.
   */
  validate(resource: Resource, options?: ValidateOptions): OperationOutcome;
}
