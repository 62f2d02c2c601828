import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationOutcome, Resource } from 'fhir/r4';
import { createValidator, loadDefinitions, type Validator } from '../../src/validation';

/** A plain JSON object, for mutating fixtures into invalid shapes the FHIR types would not allow. */
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests build deliberately invalid JSON

/** One validator for the whole test file: loading and compiling the R4 definitions takes ~0.5 s. */
let shared: Validator | undefined;
export const validator = (): Validator => (shared ??= createValidator(loadDefinitions()));

export const fixture = (name: string): Json =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.json`), 'utf8')) as Json;

/** A deep copy of a fixture, changed by `edit`. */
export const changed = (name: string, edit: (r: Json) => void): Json => {
  const r = fixture(name);
  edit(r);
  return r;
};

export const validate = (r: Json, profiles?: string[]): OperationOutcome =>
  validator().validate(r as Resource, profiles ? { profiles } : undefined);

export const errors = (o: OperationOutcome): OperationOutcome['issue'] =>
  o.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');

/** Compact view of issues for readable failure messages. */
export const summary = (o: OperationOutcome): string[] =>
  o.issue.map((i) => `${i.severity} ${i.code} ${i.expression?.join(',') ?? '-'}: ${i.diagnostics ?? ''}`);
