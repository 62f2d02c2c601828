import type { StoredRef } from '../port';
import { deviceRow, deviceTokens, observationRow, observationTokens, type TokenRow } from '../shared/index-rows';
import { checkResource, type IngestResource } from '../shared/resource-rules';
import { planVersion, type CurrentVersion } from '../shared/stored-version';
import { named, type Client } from './connect-pool';

/** The written version, for the outbox. */
export interface WrittenVersion extends StoredRef {
  resourceType: IngestResource['resourceType'];
  id: string;
  versionId: string;
}

/**
 * Writes one resource version with its history row and index rows, unless the current version has the same
 * content (see ../shared/stored-version.ts). Runs inside the caller's transaction.
 *
 * The current row is read `FOR UPDATE`: two commits carrying the same resource (a Device sent with every
 * reading) take turns, the second planning its version from what the first committed, so versions stay
 * 1, 2, 3… without gaps or duplicates. A resource not stored yet has no row to lock: the insert is
 * `ON CONFLICT DO NOTHING`, which waits for a concurrent insert of the same key; when that one committed,
 * nothing is inserted here and the write starts over on the row it made.
 */
export async function writeResource(client: Client, resource: IngestResource, lastUpdated: Date): Promise<WrittenVersion> {
  checkResource(resource);
  const { resourceType: type, id } = resource as IngestResource & { id: string };
  const reference = `${type}/${id}`;
  for (;;) {
    const current = await client.query<CurrentVersion & { rid: number }>(named('lock_resource',
      `SELECT rid, version_id AS "versionId", last_updated AS "lastUpdated", content FROM resources
       WHERE type = $1 AND id = $2 FOR UPDATE`,
      [type, id],
    ));
    const existing = current.rows[0];
    const plan = planVersion(resource, existing, lastUpdated);
    if (!plan.write) return { reference, created: false, resourceType: type, id, versionId: plan.versionId };
    const values = [type, id, plan.versionId, plan.lastUpdated, plan.content];
    let rid: number;
    if (existing === undefined) {
      const inserted = await client.query<{ rid: number }>(named('insert_resource',
        `INSERT INTO resources (type, id, version_id, last_updated, content) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (type, id) DO NOTHING RETURNING rid`,
        values,
      ));
      const row = inserted.rows[0];
      if (row === undefined) continue; // created concurrently and committed: plan again on that version
      rid = row.rid;
    } else {
      rid = existing.rid;
      await client.query(named('update_resource', 'UPDATE resources SET version_id = $3, last_updated = $4, content = $5 WHERE type = $1 AND id = $2', values));
    }
    await client.query(named('insert_history', 'INSERT INTO resource_history (type, id, version_id, last_updated, content) VALUES ($1, $2, $3, $4, $5)', values));
    await reindex(client, plan.stored, rid, lastUpdated.getTime(), existing === undefined);
    return { reference, created: true, resourceType: type, id, versionId: plan.versionId };
  }
}

/** Replaces the index rows of one resource (upsert the row, then the tokens: a new version may drop codes). */
async function reindex(client: Client, resource: IngestResource, rid: number, lastUpdatedMs: number, isNew: boolean): Promise<void> {
  const id = resource.id as string;
  let tokens: TokenRow[];
  if (resource.resourceType === 'Observation') {
    const row = observationRow(resource);
    await client.query(named('index_observation',
      `INSERT INTO observation_index (rid, id, subject, device, effective_start, effective_end, last_updated)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (rid) DO UPDATE SET id = excluded.id, subject = excluded.subject, device = excluded.device,
         effective_start = excluded.effective_start, effective_end = excluded.effective_end, last_updated = excluded.last_updated`,
      [rid, id, row.subject, row.device, row.start, row.end, lastUpdatedMs],
    ));
    tokens = observationTokens(resource);
  } else {
    await client.query(named('index_device',
      'INSERT INTO device_index (rid, id, patient) VALUES ($1, $2, $3) ON CONFLICT (rid) DO UPDATE SET id = excluded.id, patient = excluded.patient',
      [rid, id, deviceRow(resource).patient],
    ));
    tokens = deviceTokens(resource);
  }
  if (!isNew) await client.query(named('drop_tokens', 'DELETE FROM token_index WHERE rid = $1', [rid])); // a first version has none to replace
  if (tokens.length === 0) return;
  // All tokens in one statement; a coding repeated in one resource is one token (the key is the whole row).
  await client.query(named('insert_tokens',
    `INSERT INTO token_index (rid, param, system, code)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
    [rid, tokens.map((t) => t.param), tokens.map((t) => t.system), tokens.map((t) => t.code)],
  ));
}
