/** `store copy`: a SQLite store into an empty PostgreSQL schema, all or nothing. */
export { copySqliteToPostgres, type CopyProgress, type StoreCopyOptions, type StoreCopyReport } from './copy-sqlite-to-postgres';
export { buildCopyAuditEvent, type CopyAuditInput } from './build-copy-audit-event';
export { COPIED_TABLES, type TableName } from './copied-tables';
export { StoreCopyError, type StoreCopyErrorCode } from './store-copy-error';
