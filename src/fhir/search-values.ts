import type { SortOrder, TokenParam } from '../store/port';
import { type SearchOptions, type SearchParams, singleValue, splitUnescaped, unescapeValue } from './read-search-query';
import { conflictingParameters, invalidParameter, unsupportedParameter } from './search-errors';

/** Parsers of individual search values, shared by the Observation and Device searches. */

/** FHIR `id`. See: https://hl7.org/fhir/R4/datatypes.html#id */
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const TYPED_ID = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

/**
 * A token `[system]|[code]` or `[code]`. `|code` (explicitly no system) and `system|` (any code) are refused:
 * our resources always carry a system, and `TokenParam` cannot say "no system".
 * See: https://hl7.org/fhir/R4/search.html#token
 */
export function parseToken(value: string, name: string): TokenParam {
  const parts = splitUnescaped(value, '|').map(unescapeValue);
  if (parts.length === 1) return { code: parts[0] as string };
  const [system, code] = parts;
  if (parts.length > 2 || !system || !code) {
    throw invalidParameter(name, `'${value}' is not a token (expected 'system|code' or 'code')`);
  }
  return { system, code };
}

/** Every occurrence of a token parameter: inner arrays OR, outer AND. */
export function tokenLists(params: SearchParams, name: string): TokenParam[][] | undefined {
  return params.get(name)?.map((values) => values.map((v) => parseToken(v, name)));
}

/**
 * A reference to `type` given as `ID` or `Type/ID`, returned as `Type/ID`. Absolute URLs and other types are
 * refused (never resolved: security case 27). See: https://hl7.org/fhir/R4/search.html#reference
 */
export function parseReference(value: string, name: string, type: string): string {
  if (ID.test(value)) return `${type}/${value}`;
  const match = TYPED_ID.exec(value);
  if (match === null) throw invalidParameter(name, `'${value}' is not '${type}/ID' or 'ID'`);
  if (match[1] !== type) throw invalidParameter(name, `may only reference ${type} here, not '${match[1]}'`);
  return value;
}

/**
 * Combines reference parameters: values of one occurrence OR, occurrences (also across `names`, e.g. `patient`
 * and `subject`) AND. The result is the set intersection. An empty intersection is refused: the port's
 * `string[]` cannot say "match nothing", and an empty list read as "no filter" would widen the search.
 */
export function referenceFilter(params: SearchParams, names: readonly string[], type: string): string[] | undefined {
  let result: Set<string> | undefined;
  for (const name of names) {
    for (const values of params.get(name) ?? []) {
      const set = new Set(values.map((v) => parseReference(v, name, type)));
      result = result === undefined ? set : new Set([...result].filter((r) => set.has(r)));
    }
  }
  if (result === undefined) return undefined;
  if (result.size === 0) {
    throw conflictingParameters(names.filter((n) => params.has(n)));
  }
  return [...result];
}

/** `_count` (clamped to `maxCount`; 0 = total only) and `_offset` (our paging cursor). */
export function parsePaging(params: SearchParams, options: SearchOptions): { count: number; offset: number } {
  assertOptions(options);
  const countText = singleValue(params, '_count');
  const offsetText = singleValue(params, '_offset');
  const count = countText === undefined ? options.defaultCount : nonNegativeInteger(countText, '_count');
  const offset = offsetText === undefined ? 0 : nonNegativeInteger(offsetText, '_offset');
  // Security case 22: `_count=1000000000` is clamped, not honoured. See: https://hl7.org/fhir/R4/search.html#count
  return { count: Math.min(count, options.maxCount), offset };
}

function nonNegativeInteger(text: string, name: string): number {
  if (!/^\d{1,15}$/.test(text)) {
    // Longer digit strings are valid but absurd; a huge `_count` is still clamped, a huge `_offset` refused.
    if (name === '_count' && /^\d+$/.test(text)) return Number.MAX_SAFE_INTEGER;
    throw invalidParameter(name, `'${text}' is not a non-negative integer`);
  }
  return Number(text);
}

function assertOptions(options: SearchOptions): void {
  const { defaultCount, maxCount } = options;
  if (!Number.isInteger(maxCount) || maxCount < 1 || !Number.isInteger(defaultCount) || defaultCount < 1) {
    // A programming error, not a client's: becomes a 500.
    throw new TypeError(`Invalid search options: defaultCount ${defaultCount}, maxCount ${maxCount}`);
  }
}

/** `_sort`: only `date` and `-date`. See: https://hl7.org/fhir/R4/search.html#sort */
export function parseSort(params: SearchParams): SortOrder | undefined {
  const value = singleValue(params, '_sort');
  if (value === undefined || value === 'date' || value === '-date') return value;
  throw unsupportedParameter('_sort', `Sorting by '${value}' is not supported (only 'date' and '-date')`);
}

/**
 * `_format`: JSON is all we speak, so only JSON values are tolerated. A `+` sent unencoded arrives as a space.
 * See: https://hl7.org/fhir/R4/http.html#mime-type
 */
export function checkFormat(params: SearchParams): void {
  const value = singleValue(params, '_format');
  if (value === undefined) return;
  const normalised = value.replace(' ', '+');
  if (!['json', 'application/json', 'application/fhir+json'].includes(normalised)) {
    throw unsupportedParameter('_format', `Format '${value}' is not supported (only JSON)`);
  }
}
