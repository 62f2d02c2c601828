/** Storage: the port every adapter implements, and the embedded SQLite adapter. */
export type * from './port';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite/open-sqlite-store';
export { MAX_PAGE_SIZE } from './shared/sql-fragments';
export { fhirDateRange, type EpochRange } from './shared/fhir-date-range';
