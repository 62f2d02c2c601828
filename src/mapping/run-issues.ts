import { FhirError, outcomeOf, type IssueCode, type IssueInput } from '../errors/fhir-error';
import { joinLocation } from './json-path';

/** Stable code of a payload that the mapping cannot turn into FHIR (missing/wrong values, bad timestamps). */
export const ERR_MAPPING_VALUE = 'ERR_MAPPING_VALUE';

/**
 * Issues found while mapping one payload item. All value problems of an item are collected so the sender
 * sees every one in a single OperationOutcome (422); expressions are prefixed by the item location.
 */
export class RunIssues {
  readonly list: IssueInput[] = [];

  constructor(readonly location: string | undefined) {}

  /** Where a payload location lands in the sender's request, e.g. `item[2].spo2`. */
  at(where: string): string {
    return joinLocation(this.location, where);
  }

  add(code: IssueCode, text: string, where: string): void {
    this.list.push({ severity: 'error', code, text, expression: this.at(where) });
  }

  /** Throw every collected issue as one FhirError (422). */
  throwIfAny(): void {
    if (this.list.length > 0) throw new FhirError(ERR_MAPPING_VALUE, outcomeOf(this.list), { status: 422 });
  }
}
