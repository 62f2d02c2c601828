/** Storage: the port every adapter implements, the embedded SQLite adapter and the PostgreSQL one. */
export type * from './port';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite/open-sqlite-store';
export { MAX_PAGE_SIZE } from './shared/sql-fragments';
export { fhirDateRange, type EpochRange } from './shared/fhir-date-range';
export { openPostgresStore, type PostgresStoreOptions } from './postgres/open-postgres-store';
