import type { DeviceQuery } from '../store/port';
import { type RawSearchQuery, type SearchOptions, readSearchQuery } from './read-search-query';
import { checkFormat, parsePaging, referenceFilter, tokenLists } from './search-values';

/** The parameters `GET /fhir/Device` understands; anything else is refused with 400. */
export const DEVICE_SEARCH_PARAMETERS: ReadonlySet<string> = new Set([
  'identifier',
  'patient',
  '_count',
  '_offset',
  '_format',
]);

/**
 * Turns the query of a Device search into the store's {@link DeviceQuery}: `identifier` (token; comma OR,
 * repetition AND), `patient` (`ID` or `Patient/ID`), `_count`, `_offset`. Errors as for
 * {@link parseObservationSearch}. See: https://hl7.org/fhir/R4/device.html#search
 *
 * @example
 * parseDeviceSearch({ identifier: 'urn:ietf:rfc:3986|urn:uuid:1' }, { defaultCount: 50, maxCount: 1000 })
 * // → { identifier: [[{ system: 'urn:ietf:rfc:3986', code: 'urn:uuid:1' }]], count: 50, offset: 0 }
 */
export function parseDeviceSearch(query: RawSearchQuery, options: SearchOptions): DeviceQuery {
  const params = readSearchQuery(query, DEVICE_SEARCH_PARAMETERS);
  checkFormat(params);
  const result: DeviceQuery = parsePaging(params, options);
  const identifier = tokenLists(params, 'identifier');
  if (identifier !== undefined) result.identifier = identifier;
  const patient = referenceFilter(params, ['patient'], 'Patient');
  if (patient !== undefined) result.patient = patient;
  return result;
}
