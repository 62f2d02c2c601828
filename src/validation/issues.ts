import type { OperationOutcomeIssue } from 'fhir/r4';
import type { IssueInput } from '../errors/fhir-error';

/** Collects issues during one validation run; never shared between runs. */
export class Issues {
  readonly list: IssueInput[] = [];

  /** `expression` is omitted only when there is no element to point at (the input is not even an object). */
  error(code: OperationOutcomeIssue['code'], text: string, expression: string | undefined): void {
    this.list.push({ severity: 'error', code, text, expression });
  }

  warning(code: OperationOutcomeIssue['code'], text: string, expression: string): void {
    this.list.push({ severity: 'warning', code, text, expression });
  }

  add(severity: 'error' | 'warning', code: OperationOutcomeIssue['code'], text: string, expression: string): void {
    this.list.push({ severity, code, text, expression });
  }
}

/** Suffix naming the profile an issue comes from, e.g. ` (profile http://hl7.org/fhir/StructureDefinition/bp)`. */
export const fromProfile = (url: string | undefined): string => (url === undefined ? '' : ` (profile ${url})`);
