/**
 * FHIR REST semantics (pure: no Hapi, no I/O, no config): search parameters → store queries, searchset
 * Bundles, the CapabilityStatement.
 */
export { parseObservationSearch, OBSERVATION_SEARCH_PARAMETERS } from './parse-observation-search';
export { parseDeviceSearch, DEVICE_SEARCH_PARAMETERS } from './parse-device-search';
export { parseDateParam } from './parse-date-param';
export {
  type RawSearchQuery,
  type SearchOptions,
  MAX_PARAMETER_OCCURRENCES,
  MAX_VALUES_PER_PARAMETER,
  MAX_VALUE_LENGTH,
} from './read-search-query';
export { searchsetBundle, type SearchsetOptions } from './searchset-bundle';
export { capabilityStatement, type CapabilityOptions } from './capability-statement';
