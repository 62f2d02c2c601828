/**
 * The tables `store copy` carries over, in foreign-key order (resource_history before outbox, audit before
 * disclosure_index), with the columns both schemas share (the PostgreSQL schema is the SQLite one's final
 * state: ../postgres/migrations.ts) and the PostgreSQL type each column travels as (one array per column,
 * `unnest`ed: one INSERT per batch). Rows are read in key order (keyset paging on `key`).
 * The search index tables are copied as they are, with the same `rid`s as `resources`: they were written by the
 * same shared code (../shared/index-rows.ts) from the same content, so a rebuild would produce these rows.
 */
export interface CopiedTable {
  name: TableName;
  columns: ReadonlyArray<readonly [column: string, pgType: string]>;
  /** Columns of a unique key, read in this order. */
  key: readonly string[];
  /** An identity column on PostgreSQL: inserted with OVERRIDING SYSTEM VALUE, its sequence moved past the copy. */
  identity?: string;
}

export type TableName =
  | 'devices' | 'resources' | 'resource_history' | 'observation_index' | 'device_index' | 'token_index'
  | 'outbox' | 'used_jti' | 'audit' | 'disclosure_index';

const text = (...names: string[]) => names.map((n) => [n, 'text'] as const);
const bigint = (...names: string[]) => names.map((n) => [n, 'bigint'] as const);

export const COPIED_TABLES: readonly CopiedTable[] = [
  { name: 'devices', columns: text('id', 'public_jwk', 'cert_sha256', 'patient', 'status', 'created_at', 'revoked_at'), key: ['id'] },
  {
    name: 'resources', columns: [...bigint('rid'), ...text('type', 'id', 'version_id', 'last_updated', 'content')],
    key: ['rid'], identity: 'rid',
  },
  { name: 'resource_history', columns: text('type', 'id', 'version_id', 'last_updated', 'content'), key: ['type', 'id', 'version_id'] },
  {
    name: 'observation_index',
    columns: [...bigint('rid'), ...text('id', 'subject', 'device'), ...bigint('effective_start', 'effective_end', 'last_updated')],
    key: ['rid'],
  },
  { name: 'device_index', columns: [...bigint('rid'), ...text('id', 'patient')], key: ['rid'] },
  { name: 'token_index', columns: [...bigint('rid'), ...text('param', 'system', 'code')], key: ['rid', 'param', 'system', 'code'] },
  {
    name: 'outbox',
    columns: [
      ...bigint('seq'), ...text('resource_type', 'resource_id', 'version_id', 'device_id', 'created_at', 'status'),
      ['attempts', 'integer'], ...bigint('next_attempt_at', 'lease_until'),
      ...text('lease_owner', 'last_error', 'ehr_response', 'delivered_at', 'ehr_reference'),
    ],
    key: ['seq'], identity: 'seq',
  },
  { name: 'used_jti', columns: [...text('device_id', 'jti'), ...bigint('expires_at')], key: ['device_id', 'jti'] },
  { name: 'audit', columns: [...bigint('seq'), ...text('event', 'prev_hash', 'hash')], key: ['seq'] },
  { name: 'disclosure_index', columns: [...bigint('audit_seq'), ...text('patient', 'recorded')], key: ['patient', 'recorded', 'audit_seq'] },
];
