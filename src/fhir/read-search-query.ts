import { invalidParameter, tooManyValues, unknownParameter, unsupportedParameter } from './search-errors';

/** A query as an HTTP framework hands it over: repeated parameters become arrays. */
export type RawSearchQuery = Record<string, string | string[] | undefined>;

/** Page-size settings passed by the caller (they come from configuration; this stage reads none). */
export interface SearchOptions {
  /** `_count` when the client gives none (clamped to `maxCount`). */
  defaultCount: number;
  /** Upper bound of `_count`; larger requests are clamped, not refused. */
  maxCount: number;
}

/** At most this many values (comma-separated and repeated, together) for one parameter name. */
export const MAX_VALUES_PER_PARAMETER = 50;
/** At most this many parameter occurrences in one query (security case 22: 1,000 repeated parameters). */
export const MAX_PARAMETER_OCCURRENCES = 100;
/** Longest single value accepted, in characters. */
export const MAX_VALUE_LENGTH = 1024;

/**
 * Parameters whose value is a whole list of features we refuse: `_include`/`_revinclude` could reach resources
 * outside the caller's patient compartment (security case 14) and `:iterate` can loop (case 22); `_has` is
 * reverse chaining. See: https://hl7.org/fhir/R4/search.html#include
 */
const REFUSED = new Set(['_include', '_revinclude', '_has', '_filter', '_query', '_contained', '_containedType']);

/** Per parameter name: one entry per occurrence, each the comma-separated values (still escaped). */
export type SearchParams = ReadonlyMap<string, string[][]>;

/**
 * Checks names and sizes of a raw query and splits values on unescaped commas.
 * Refuses unknown names, modifiers (`code:text`), chains (`subject.name`) and the features in REFUSED, and
 * empty values (we choose to refuse rather than ignore them: an ignored `subject=` would widen a search).
 * See: https://hl7.org/fhir/R4/search.html#escaping
 */
export function readSearchQuery(query: RawSearchQuery, known: ReadonlySet<string>): SearchParams {
  const out = new Map<string, string[][]>();
  let occurrences = 0;
  for (const name of Object.keys(query)) {
    const raw = query[name];
    if (raw === undefined) continue;
    checkName(name, known);
    const list: unknown[] = Array.isArray(raw) ? raw : [raw];
    occurrences += list.length;
    if (occurrences > MAX_PARAMETER_OCCURRENCES) {
      throw tooManyValues(name, `More than ${MAX_PARAMETER_OCCURRENCES} search parameters in one query`);
    }
    out.set(name, readOccurrences(name, list));
  }
  return out;
}

function checkName(name: string, known: ReadonlySet<string>): void {
  const base = name.split(/[:.]/, 1)[0] ?? name;
  if (REFUSED.has(base)) throw unsupportedParameter(name, `Search parameter '${base}' is not supported`);
  if (name.includes('.')) throw unsupportedParameter(name, `Chained search parameters ('${name}') are not supported`);
  if (name.includes(':')) {
    if (!known.has(base)) throw unknownParameter(name);
    throw unsupportedParameter(name, `Search modifiers ('${name}') are not supported`);
  }
  if (!known.has(name)) throw unknownParameter(name);
}

function readOccurrences(name: string, list: unknown[]): string[][] {
  const occurrences: string[][] = [];
  let values = 0;
  for (const item of list) {
    if (typeof item !== 'string') throw invalidParameter(name, 'must be text');
    if (item.length > MAX_VALUE_LENGTH) throw invalidParameter(name, `longer than ${MAX_VALUE_LENGTH} characters`);
    const parts = splitUnescaped(item, ',');
    values += parts.length;
    if (values > MAX_VALUES_PER_PARAMETER) {
      throw tooManyValues(name, `More than ${MAX_VALUES_PER_PARAMETER} values for search parameter '${name}'`);
    }
    if (parts.some((p) => p === '')) throw invalidParameter(name, 'empty value');
    occurrences.push(parts);
  }
  return occurrences;
}

/**
 * Splits on `separator` where it is not preceded by a backslash; escapes stay in place for the next split.
 * See: https://hl7.org/fhir/R4/search.html#escaping
 */
export function splitUnescaped(value: string, separator: ',' | '|'): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '\\' && i + 1 < value.length) {
      current += ch + (value[i + 1] as string);
      i++;
    } else if (ch === separator) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** Removes FHIR search escapes (`\,` `\|` `\$` `\\`). */
export const unescapeValue = (value: string): string => value.replace(/\\([\\,|$])/g, '$1');

/** The single value of a parameter that may appear once with one value (`_count`, `_sort`…), or undefined. */
export function singleValue(params: SearchParams, name: string): string | undefined {
  const occurrences = params.get(name);
  if (occurrences === undefined) return undefined;
  const [first, ...rest] = occurrences;
  if (rest.length > 0 || first === undefined || first.length !== 1) {
    throw invalidParameter(name, 'must be given once, with one value');
  }
  return first[0];
}
