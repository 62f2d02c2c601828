import type { OperationOutcomeIssue } from 'fhir/r4';
import type { IssueInput } from '../errors/fhir-error';

/**
 * Where an issue is: a FHIRPath expression such as `Observation.component[1].code`. Built only when an issue is
 * reported — nearly every validation reports nothing, and making the text of every element visited was a large
 * part of the validation time. A template literal (`${at}.code`) turns either form into the text.
 */
export type At = string | Step;

/** One step below `parent`: `.key`, or `.key[index]` when `index` >= 0. The text is made once, on demand. */
export class Step {
  private text: string | undefined;

  constructor(
    readonly parent: At,
    readonly key: string,
    readonly index = -1,
  ) {}

  toString(): string {
    this.text ??= this.index < 0 ? `${String(this.parent)}.${this.key}` : `${String(this.parent)}.${this.key}[${this.index}]`;
    return this.text;
  }
}

/** Collects issues during one validation run; never shared between runs. */
export class Issues {
  readonly list: IssueInput[] = [];

  /** `expression` is omitted only when there is no element to point at (the input is not even an object). */
  error(code: OperationOutcomeIssue['code'], text: string, expression: At | undefined): void {
    this.list.push({ severity: 'error', code, text, expression: expression === undefined ? undefined : String(expression) });
  }

  warning(code: OperationOutcomeIssue['code'], text: string, expression: At): void {
    this.list.push({ severity: 'warning', code, text, expression: String(expression) });
  }

  add(severity: 'error' | 'warning', code: OperationOutcomeIssue['code'], text: string, expression: At): void {
    this.list.push({ severity, code, text, expression: String(expression) });
  }
}

/** Suffix naming the profile an issue comes from, e.g. ` (profile http://hl7.org/fhir/StructureDefinition/bp)`. */
export const fromProfile = (url: string | undefined): string => (url === undefined ? '' : ` (profile ${url})`);
