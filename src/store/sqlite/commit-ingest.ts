import type { IngestCommit, IngestResult } from '../port';
import { jtiReplayed } from '../shared/resource-rules';
import type { AuditLog } from './audit-log';
import type { Db } from './open-database';
import { resourceWriter } from './write-resource';

export interface CommitOptions {
  now: () => Date;
  /**
   * Seconds a jti is kept after its token expired. It must exceed the verifier's clock leeway, or a token
   * still accepted within the leeway could be replayed once its jti row is pruned.
   */
  jtiGraceSeconds: number;
}

/**
 * The ingest commit: jti, resources (+ history, index), one outbox row per written version and the audit
 * entry, in ONE IMMEDIATE transaction (the write lock is taken first, so the audit chain head and the jti
 * check cannot race another process). Any throw rolls everything back.
 * See: https://github.com/WiseLibs/better-sqlite3/blob/master/docs/api.md#transactionfunction---function
 */
export function ingestCommitter(db: Db, audit: AuditLog, options: CommitOptions): (commit: IngestCommit) => IngestResult {
  const write = resourceWriter(db);
  const prune = db.prepare('DELETE FROM used_jti WHERE expires_at < ?');
  const useJti = db.prepare(
    'INSERT INTO used_jti (device_id, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT (device_id, jti) DO NOTHING',
  );
  const enqueue = db.prepare(
    `INSERT INTO outbox (resource_type, resource_id, version_id, device_id, created_at) VALUES (?, ?, ?, ?, ?)`,
  );

  const run = db.transaction((commit: IngestCommit): IngestResult => {
    const now = options.now();
    prune.run(Math.floor(now.getTime() / 1000) - options.jtiGraceSeconds);
    if (commit.jti !== undefined && useJti.run(commit.deviceId, commit.jti, commit.jtiExpiresAt ?? 0).changes === 0) throw jtiReplayed();
    const written = commit.resources.map((resource) => {
      const version = write(resource, now);
      if (version.created) {
        enqueue.run(version.resourceType, version.id, version.versionId, commit.deviceId, now.toISOString());
      }
      return { reference: version.reference, created: version.created, versionId: version.versionId };
    });
    audit.append(commit.audit);
    return { written };
  });
  // Standing alone it takes the write lock first (IMMEDIATE); inside a group commit it is a SAVEPOINT.
  return (commit) => (db.inTransaction ? run(commit) : run.immediate(commit));
}
