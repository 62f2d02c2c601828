import type { StoredRef } from '../port';
import { deviceRow, deviceTokens, observationRow, observationTokens, type TokenRow } from '../shared/index-rows';
import { checkResource, type IngestResource } from '../shared/resource-rules';
import { planVersion } from '../shared/stored-version';
import type { Db } from './open-database';

/** The written version, for the outbox. */
export interface WrittenVersion extends StoredRef {
  resourceType: IngestResource['resourceType'];
  id: string;
  versionId: string;
}

/**
 * Writes one resource version with its history row and index rows, unless the stored current version has
 * the same content (a resend of a deterministic id). Callers run it inside the ingest transaction.
 */
export type ResourceWriter = (resource: IngestResource, lastUpdated: Date) => WrittenVersion;

export function resourceWriter(db: Db): ResourceWriter {
  const current = db.prepare<[string, string], { rid: number; version_id: string; last_updated: string; content: string }>(
    'SELECT rid, version_id, last_updated, content FROM resources WHERE type = ? AND id = ?',
  );
  const upsert = db.prepare(
    `INSERT INTO resources (type, id, version_id, last_updated, content) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (type, id) DO UPDATE SET version_id = excluded.version_id,
       last_updated = excluded.last_updated, content = excluded.content`,
  );
  const history = db.prepare(
    'INSERT INTO resource_history (type, id, version_id, last_updated, content) VALUES (?, ?, ?, ?, ?)',
  );
  const reindex = indexWriter(db);

  return (resource, lastUpdated) => {
    checkResource(resource);
    const { resourceType: type, id } = resource as IngestResource & { id: string };
    const reference = `${type}/${id}`;
    const existing = current.get(type, id);
    const plan = planVersion(resource, existing && { versionId: existing.version_id, lastUpdated: existing.last_updated, content: existing.content }, lastUpdated);
    if (!plan.write) return { reference, created: false, resourceType: type, id, versionId: plan.versionId };
    const { versionId, lastUpdated: iso, content } = plan;
    // The upsert keeps an existing row's rid; a new row's is the insert's rowid.
    const inserted = upsert.run(type, id, versionId, iso, content);
    const rid = existing === undefined ? Number(inserted.lastInsertRowid) : existing.rid;
    history.run(type, id, versionId, iso, content);
    reindex(plan.stored, rid, lastUpdated.getTime(), existing === undefined);
    return { reference, created: true, resourceType: type, id, versionId };
  };
}

/** Replaces the index rows of one resource (delete then insert: a new version may drop codes). */
function indexWriter(db: Db): (resource: IngestResource, rid: number, lastUpdatedMs: number, isNew: boolean) => void {
  const dropTokens = db.prepare('DELETE FROM token_index WHERE rid = ?');
  // A coding repeated in one resource is one token (the table's key is the whole row).
  const addToken = db.prepare('INSERT OR IGNORE INTO token_index (rid, param, system, code) VALUES (?, ?, ?, ?)');
  const putObservation = db.prepare(
    `INSERT OR REPLACE INTO observation_index (rid, id, subject, device, effective_start, effective_end, last_updated)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const putDevice = db.prepare('INSERT OR REPLACE INTO device_index (rid, id, patient) VALUES (?, ?, ?)');

  return (resource, rid, lastUpdatedMs, isNew) => {
    const id = resource.id as string;
    let tokens: TokenRow[];
    if (resource.resourceType === 'Observation') {
      const row = observationRow(resource);
      putObservation.run(rid, id, row.subject, row.device, row.start, row.end, lastUpdatedMs);
      tokens = observationTokens(resource);
    } else {
      putDevice.run(rid, id, deviceRow(resource).patient);
      tokens = deviceTokens(resource);
    }
    if (!isNew) dropTokens.run(rid); // a first version has no rows to replace
    for (const t of tokens) addToken.run(rid, t.param, t.system, t.code);
  };
}
