import type { DateBound, ObservationQuery } from '../store/port';
import { parseDateParam } from './parse-date-param';
import { type RawSearchQuery, type SearchOptions, readSearchQuery } from './read-search-query';
import { unsupportedParameter } from './search-errors';
import { checkFormat, parsePaging, parseSort, referenceFilter, tokenLists } from './search-values';

/** The parameters `GET /fhir/Observation` understands; anything else is refused with 400. */
export const OBSERVATION_SEARCH_PARAMETERS: ReadonlySet<string> = new Set([
  'patient',
  'subject',
  'code',
  'category',
  'date',
  'device',
  '_count',
  '_offset',
  '_sort',
  '_format',
]);

/**
 * Turns the query of an Observation search into the store's {@link ObservationQuery}.
 * `patient` and `subject` both filter on the subject and may only reference a Patient; comma-separated values
 * OR, repeated parameters AND. Throws a 400 {@link FhirError} naming the parameter for unknown parameters,
 * `_include`/`_revinclude`, chains, modifiers, malformed values and oversize queries.
 * See: https://hl7.org/fhir/R4/observation.html#search
 *
 * @example
 * parseObservationSearch({ patient: 'p1', date: 'ge2024-03-01', _sort: '-date' }, { defaultCount: 50, maxCount: 1000 })
 * // → { subject: ['Patient/p1'], date: [{ prefix: 'ge', start: 1709251200000, end: 1709337600000 }],
 * //     sort: '-date', count: 50, offset: 0 }
 */
export function parseObservationSearch(query: RawSearchQuery, options: SearchOptions): ObservationQuery {
  const params = readSearchQuery(query, OBSERVATION_SEARCH_PARAMETERS);
  checkFormat(params);
  const result: ObservationQuery = parsePaging(params, options);
  const subject = referenceFilter(params, ['patient', 'subject'], 'Patient');
  if (subject !== undefined) result.subject = subject;
  const device = referenceFilter(params, ['device'], 'Device');
  if (device !== undefined) result.device = device;
  const code = tokenLists(params, 'code');
  if (code !== undefined) result.code = code;
  const category = tokenLists(params, 'category');
  if (category !== undefined) result.category = category;
  const date = dateBounds(params.get('date'));
  if (date !== undefined) result.date = date;
  const sort = parseSort(params);
  if (sort !== undefined) result.sort = sort;
  return result;
}

/**
 * Repeated `date` parameters AND (`date=ge2024-01-01&date=lt2024-02-01`). A comma (OR of dates) is refused:
 * `DateBound[]` carries one conjunction only.
 */
function dateBounds(occurrences: string[][] | undefined): DateBound[] | undefined {
  return occurrences?.map((values) => {
    if (values.length > 1) throw unsupportedParameter('date', "Several values in one 'date' parameter (OR) are not supported");
    return parseDateParam(values[0] as string, 'date');
  });
}
