import { GENESIS_HASH } from '../../audit/hash-chain';
import type { Pool } from './connect-pool';
import { runTransaction } from './run-transaction';

/**
 * The PostgreSQL schema, versioned in `schema_version` (one row): migration N brings the schema from version
 * N-1 to N. Append new migrations; never edit a released one. It is the SQLite adapter's final schema (see
 * ../sqlite/migrations.ts) in one step, with these differences:
 *
 * - Text that is sorted or compared (ids, references, ISO times, token codes) is `COLLATE "C"`: byte order,
 *   as SQLite compares, so ids sort the same on both and ISO timestamps compare as times whatever the
 *   database's locale is.
 * - Resource and audit content is `text`, not `jsonb`: reads serve back exactly the stored serialisation
 *   (jsonb would reorder keys and drop duplicate ones), and an identical resend is recognised by comparing
 *   text (see ../shared/stored-version.ts). Searches go through the index tables, never into the JSON.
 * - `audit_head` holds the chain head in one row. Appending locks it (`SELECT … FOR UPDATE`), which makes the
 *   chain strict under concurrent writers and, because outbox rows are inserted under the same lock, makes
 *   outbox seqs follow commit order (see commit-ingest.ts).
 * - Epoch-millisecond columns are `bigint`; seqs and rids are identity columns.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE devices (
    id text COLLATE "C" PRIMARY KEY,
    public_jwk text NOT NULL,
    patient text COLLATE "C",
    status text NOT NULL CHECK (status IN ('active', 'revoked')),
    created_at text COLLATE "C" NOT NULL,
    revoked_at text
  );

  CREATE TABLE resources (
    rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    version_id text NOT NULL,
    last_updated text NOT NULL,
    content text NOT NULL,
    UNIQUE (type, id)
  );

  CREATE TABLE resource_history (
    type text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    version_id text NOT NULL,
    last_updated text NOT NULL,
    content text NOT NULL,
    PRIMARY KEY (type, id, version_id)
  );

  -- Index tables: derived from resources.content, rewritten with every version, no foreign key (a rebuild
  -- deletes and refills them).
  CREATE TABLE observation_index (
    rid bigint PRIMARY KEY,
    id text COLLATE "C" NOT NULL,
    subject text COLLATE "C",
    device text COLLATE "C",
    effective_start bigint,
    effective_end bigint,
    last_updated bigint NOT NULL
  );
  CREATE INDEX observation_index_subject ON observation_index (subject, effective_start);
  CREATE INDEX observation_index_device ON observation_index (device, effective_start);
  CREATE INDEX observation_index_start ON observation_index (effective_start, id);

  CREATE TABLE device_index (
    rid bigint PRIMARY KEY,
    id text COLLATE "C" NOT NULL,
    patient text COLLATE "C"
  );
  CREATE INDEX device_index_patient ON device_index (patient);

  -- One row per coding / identifier (system '' when it has none); an identical token is kept once.
  CREATE TABLE token_index (
    rid bigint NOT NULL,
    param text COLLATE "C" NOT NULL,
    system text COLLATE "C" NOT NULL,
    code text COLLATE "C" NOT NULL,
    PRIMARY KEY (rid, param, system, code)
  );
  CREATE INDEX token_index_lookup ON token_index (param, code, system, rid);

  -- The delivery queue: one row per written resource version, leased by workers (outbox-queue.ts).
  CREATE TABLE outbox (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_type text COLLATE "C" NOT NULL,
    resource_id text COLLATE "C" NOT NULL,
    version_id text NOT NULL,
    device_id text COLLATE "C" NOT NULL,
    created_at text COLLATE "C" NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at bigint NOT NULL DEFAULT 0,
    lease_until bigint NOT NULL DEFAULT 0,
    lease_owner text,
    last_error text,
    ehr_response text,
    delivered_at text,
    ehr_reference text,
    FOREIGN KEY (resource_type, resource_id, version_id) REFERENCES resource_history (type, id, version_id)
  );
  CREATE INDEX outbox_status ON outbox (status, seq);
  CREATE INDEX outbox_device_pending ON outbox (device_id, status, seq);

  CREATE TABLE used_jti (
    device_id text COLLATE "C" NOT NULL,
    jti text COLLATE "C" NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (device_id, jti)
  );
  CREATE INDEX used_jti_expiry ON used_jti (expires_at);

  CREATE TABLE audit (
    seq bigint PRIMARY KEY,
    event text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
  );
  -- The chain head, one row (the CHECK keeps it one): locked by every append.
  CREATE TABLE audit_head (
    one boolean PRIMARY KEY DEFAULT TRUE CHECK (one),
    seq bigint NOT NULL,
    hash text NOT NULL
  );
  INSERT INTO audit_head (seq, hash) VALUES (0, '${GENESIS_HASH}');

  -- Pushes to the EHR per patient: the HIPAA accounting of disclosures is one query.
  CREATE TABLE disclosure_index (
    audit_seq bigint NOT NULL REFERENCES audit (seq),
    patient text COLLATE "C" NOT NULL,
    recorded text COLLATE "C" NOT NULL,
    PRIMARY KEY (patient, recorded, audit_seq)
  );
  `,
  // 2 (mTLS; SQLite's 4): a device may be registered by its client certificate's SHA-256 thumbprint instead of (or
  // besides) a JWK; at least one credential, and a thumbprint names one device.
  `
  ALTER TABLE devices ALTER COLUMN public_jwk DROP NOT NULL;
  ALTER TABLE devices ADD COLUMN cert_sha256 text COLLATE "C" UNIQUE;
  ALTER TABLE devices ADD CONSTRAINT devices_credential CHECK (public_jwk IS NOT NULL OR cert_sha256 IS NOT NULL);
  `,
];

/** Version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings `schema` to SCHEMA_VERSION in ONE transaction (DDL is transactional in PostgreSQL) under a
 * transaction-scoped advisory lock keyed by the schema name, so two bridges starting together queue up: the
 * second reads the version only after the first committed, and applies nothing. The schema itself is
 * created under the lock too (CREATE SCHEMA IF NOT EXISTS alone can still fail on a concurrent create), and
 * only when missing, so a schema made beforehand by a DBA needs no CREATE right on the database.
 * A schema written by a newer release is refused: start-up error, not a silent downgrade. `target` lets a
 * test stop at an earlier version.
 * See: https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS
 */
export async function migrate(pool: Pool, schema: string, target: number = SCHEMA_VERSION): Promise<void> {
  // One attempt: a failed migration is a start-up error, never run again.
  await runTransaction(pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('iomt-bridge migrate ' || $1))`, [schema]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    // `schema` matches SCHEMA_NAME (checked by connectPool): a plain identifier, safe to write into DDL.
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
    // The connection's search_path named the schema before it existed; say it again now that it does.
    await client.query(`SET LOCAL search_path TO ${schema}`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)');
    const row = await client.query<{ version: number }>('SELECT version FROM schema_version');
    const current = row.rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(`Database schema version ${current} is newer than this release supports (${SCHEMA_VERSION})`);
    }
    for (let version = current + 1; version <= target; version += 1) await client.query(MIGRATIONS[version - 1] as string);
    if (row.rowCount === 0) await client.query('INSERT INTO schema_version (version) VALUES ($1)', [Math.max(current, target)]);
    else if (current < target) await client.query('UPDATE schema_version SET version = $1', [target]);
  }, 1);
}
