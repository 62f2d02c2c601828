import { FhirError, outcomeOf, type IssueCode, type IssueInput } from '../errors/fhir-error';
import type { EvalScope } from './expr/expression';
import { joinLocation } from './json-path';
import type { Trace } from './trace';

/** Stable code of a payload that the mapping cannot turn into FHIR (missing/wrong values, bad timestamps). */
export const ERR_MAPPING_VALUE = 'ERR_MAPPING_VALUE';

/**
 * The state of mapping one payload item: where expressions are evaluated (`$` = the item, `@` = the current
 * reading of an `each` batch), the trace if one is being recorded, and the issues found. All value problems of
 * an item are collected so the sender sees every one in a single OperationOutcome (422); expressions are
 * prefixed by the item location.
 */
export class RunIssues implements EvalScope {
  readonly list: IssueInput[] = [];
  root: unknown;
  current: unknown;
  /** Location of the current reading inside the item ('' = the item itself). */
  currentLoc = '';

  constructor(
    readonly location: string | undefined,
    root?: unknown,
    readonly trace?: Trace,
  ) {
    this.root = root;
    this.current = root;
  }

  /** Move `@` to a reading of the batch (or back to the item with `loc` ''). */
  enter(current: unknown, loc: string): void {
    this.current = current;
    this.currentLoc = loc;
  }

  /**
   * Where a payload location lands in the sender's request, e.g. `item[2].spo2`. A location starting with `@`
   * is relative to the current reading (`@.v` inside `readings[1]` → `item[0].readings[1].v`).
   */
  at(where: string): string {
    if (!where.startsWith('@')) return joinLocation(this.location, where);
    const rest = where.slice(1).replace(/^\./, '');
    const inItem = this.currentLoc === '' ? rest : rest === '' ? this.currentLoc : rest.startsWith('[') ? this.currentLoc + rest : `${this.currentLoc}.${rest}`;
    return joinLocation(this.location, inItem);
  }

  add(code: IssueCode, text: string, where: string): void {
    this.list.push({ severity: 'error', code, text, expression: this.at(where) });
  }

  /** Throw every collected issue as one FhirError (422). */
  throwIfAny(): void {
    if (this.list.length > 0) throw new FhirError(ERR_MAPPING_VALUE, outcomeOf(this.list), { status: 422 });
  }
}
