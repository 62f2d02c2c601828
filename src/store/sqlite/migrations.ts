import type { Db } from './open-database';

/**
 * Schema, versioned with `PRAGMA user_version`: migration N brings the database from version N-1 to N.
 * Append new migrations; never edit a released one. See: https://sqlite.org/pragma.html#pragma_user_version
 *
 * Index tables (observation_index, device_index, token_index) are derived from `resources.content` and
 * rewritten with every new version; they carry no foreign key so a rebuild can simply delete and refill them.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    public_jwk TEXT NOT NULL,
    patient TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    created_at TEXT NOT NULL,
    revoked_at TEXT
  ) STRICT;

  CREATE TABLE resources (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version_id TEXT NOT NULL,
    last_updated TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (type, id)
  ) STRICT;

  CREATE TABLE resource_history (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version_id TEXT NOT NULL,
    last_updated TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (type, id, version_id)
  ) STRICT;

  CREATE TABLE observation_index (
    id TEXT PRIMARY KEY,
    subject TEXT,
    device TEXT,
    effective_start INTEGER,
    effective_end INTEGER,
    last_updated INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX observation_index_subject ON observation_index (subject, effective_start);
  CREATE INDEX observation_index_device ON observation_index (device, effective_start);
  CREATE INDEX observation_index_start ON observation_index (effective_start, id);

  CREATE TABLE device_index (
    id TEXT PRIMARY KEY,
    patient TEXT
  ) STRICT;
  CREATE INDEX device_index_patient ON device_index (patient);

  -- One row per coding / identifier. system is '' when the value has none.
  CREATE TABLE token_index (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    system TEXT NOT NULL,
    code TEXT NOT NULL
  ) STRICT;
  CREATE INDEX token_index_lookup ON token_index (type, param, code, system, id);
  CREATE INDEX token_index_owner ON token_index (type, id);

  -- Delivery queue (issue 6 consumes it). One row per written resource version.
  CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    version_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (resource_type, resource_id, version_id)
      REFERENCES resource_history (type, id, version_id)
  ) STRICT;
  CREATE INDEX outbox_status ON outbox (status, seq);

  CREATE TABLE used_jti (
    device_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, jti)
  ) STRICT;
  CREATE INDEX used_jti_expiry ON used_jti (expires_at);

  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  ) STRICT;
  `,
  // 2 (issue 6): the outbox becomes a leased work queue with retry times and a dead letter; disclosures
  // (pushes to the EHR) get a per-patient index so the HIPAA accounting of disclosures is one query.
  `
  ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE outbox ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
  ALTER TABLE outbox ADD COLUMN last_error TEXT;
  ALTER TABLE outbox ADD COLUMN ehr_response TEXT;
  ALTER TABLE outbox ADD COLUMN delivered_at TEXT;
  ALTER TABLE outbox ADD COLUMN ehr_reference TEXT;
  CREATE INDEX outbox_device_pending ON outbox (device_id, status, seq);

  CREATE TABLE disclosure_index (
    audit_seq INTEGER NOT NULL REFERENCES audit (seq),
    patient TEXT NOT NULL,
    recorded TEXT NOT NULL,
    PRIMARY KEY (patient, recorded, audit_seq)
  ) STRICT;
  `,
  // 3: the index tables refer to a resource by an explicit integer key (`resources.rid`, which VACUUM keeps, as
  // it keeps every INTEGER PRIMARY KEY), not by its text id. Deterministic ids are hashes: keyed by them, every
  // Observation landed on a random leaf of each index B-tree (about 6 pages of WAL per Observation); keyed by
  // the ever-growing rid, new rows append. token_index is keyed by its whole row (WITHOUT ROWID), so an
  // identical token is kept once. Existing rows are carried over by joining on (type, id).
  // See: https://sqlite.org/withoutrowid.html
  `
  CREATE TABLE resources_v3 (
    rid INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version_id TEXT NOT NULL,
    last_updated TEXT NOT NULL,
    content TEXT NOT NULL,
    UNIQUE (type, id)
  ) STRICT;
  INSERT INTO resources_v3 (rid, type, id, version_id, last_updated, content)
    SELECT rowid, type, id, version_id, last_updated, content FROM resources ORDER BY rowid;
  DROP TABLE resources;
  ALTER TABLE resources_v3 RENAME TO resources;

  CREATE TABLE token_index_v3 (
    rid INTEGER NOT NULL,
    param TEXT NOT NULL,
    system TEXT NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (rid, param, system, code)
  ) STRICT, WITHOUT ROWID;
  INSERT OR IGNORE INTO token_index_v3 (rid, param, system, code)
    SELECT r.rid, t.param, t.system, t.code FROM token_index t JOIN resources r ON r.type = t.type AND r.id = t.id;
  DROP TABLE token_index;
  ALTER TABLE token_index_v3 RENAME TO token_index;
  CREATE INDEX token_index_lookup ON token_index (param, code, system, rid);

  CREATE TABLE observation_index_v3 (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    subject TEXT,
    device TEXT,
    effective_start INTEGER,
    effective_end INTEGER,
    last_updated INTEGER NOT NULL
  ) STRICT;
  INSERT INTO observation_index_v3 (rid, id, subject, device, effective_start, effective_end, last_updated)
    SELECT r.rid, o.id, o.subject, o.device, o.effective_start, o.effective_end, o.last_updated
    FROM observation_index o JOIN resources r ON r.type = 'Observation' AND r.id = o.id;
  DROP TABLE observation_index;
  ALTER TABLE observation_index_v3 RENAME TO observation_index;
  CREATE INDEX observation_index_subject ON observation_index (subject, effective_start);
  CREATE INDEX observation_index_device ON observation_index (device, effective_start);
  CREATE INDEX observation_index_start ON observation_index (effective_start, id);

  CREATE TABLE device_index_v3 (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    patient TEXT
  ) STRICT;
  INSERT INTO device_index_v3 (rid, id, patient)
    SELECT r.rid, d.id, d.patient FROM device_index d JOIN resources r ON r.type = 'Device' AND r.id = d.id;
  DROP TABLE device_index;
  ALTER TABLE device_index_v3 RENAME TO device_index;
  CREATE INDEX device_index_patient ON device_index (patient);
  `,
  // 4 (mTLS): a device may be registered by its client certificate's SHA-256 thumbprint instead of (or besides) a
  // JWK, so public_jwk becomes nullable; at least one credential, and a thumbprint names one device. SQLite cannot
  // relax NOT NULL in place: the table is rebuilt (nothing refers to it by foreign key), rows carried over.
  // See: https://sqlite.org/lang_altertable.html#otheralter
  `
  CREATE TABLE devices_v4 (
    id TEXT PRIMARY KEY,
    public_jwk TEXT,
    cert_sha256 TEXT UNIQUE,
    patient TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    CHECK (public_jwk IS NOT NULL OR cert_sha256 IS NOT NULL)
  ) STRICT;
  INSERT INTO devices_v4 (id, public_jwk, patient, status, created_at, revoked_at)
    SELECT id, public_jwk, patient, status, created_at, revoked_at FROM devices;
  DROP TABLE devices;
  ALTER TABLE devices_v4 RENAME TO devices;
  `,
];

/** Version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Bring the schema to SCHEMA_VERSION in one IMMEDIATE transaction (DDL is transactional in SQLite), reading
 * the version under the write lock so two processes starting together cannot both apply a step.
 * A database written by a newer release is refused: start-up error, not a silent downgrade. `target` lets a
 * test build a database as an earlier release left it.
 */
export function migrate(db: Db, target: number = SCHEMA_VERSION): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new Error(`Database schema version ${current} is newer than this release supports (${SCHEMA_VERSION})`);
    }
    for (let version = current + 1; version <= target; version += 1) {
      db.exec(MIGRATIONS[version - 1] as string);
    }
    // user_version cannot be a bound parameter; `target` is a number of our own (SCHEMA_VERSION but in tests).
    if (current < target) db.pragma(`user_version = ${Math.trunc(target)}`);
  }).immediate();
}
