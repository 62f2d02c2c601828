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

/** One resource version planned for writing (the resource's `rid` once its row exists). */
interface PlannedWrite {
  key: string;
  stored: IngestResource;
  versionId: string;
  lastUpdated: string;
  content: string;
  rid?: number;
}

/** The one resource writer for a single resource (device link). */
export async function writeResource(client: Client, resource: IngestResource, lastUpdated: Date): Promise<WrittenVersion> {
  const [written] = await writeResources(client, [resource], lastUpdated);
  return written as WrittenVersion;
}

/**
 * Writes each resource's version with its history and index rows, unless the current version has the same
 * content (see ../shared/stored-version.ts), inside the caller's transaction. The answer is in input order.
 *
 * Set-based: a commit of 10 readings writes 20 Observations, and one round trip per statement instead of five
 * per resource is what sets PostgreSQL's commit time (measured in bench/store.js). A resource that occurs twice
 * in the list is written in a second round, planned from the first one's version, as one-by-one writing would.
 */
export async function writeResources(client: Client, resources: readonly IngestResource[], lastUpdated: Date): Promise<WrittenVersion[]> {
  for (const resource of resources) checkResource(resource);
  const results: WrittenVersion[] = new Array<WrittenVersion>(resources.length);
  for (const round of rounds(resources)) {
    const written = await writeRound(client, round.map((i) => resources[i] as IngestResource), lastUpdated);
    round.forEach((index, n) => (results[index] = written[n] as WrittenVersion));
  }
  return results;
}

/** Indices grouped so that no key repeats inside a group; a key's occurrences keep their order across groups. */
function rounds(resources: readonly IngestResource[]): number[][] {
  const groups: number[][] = [];
  const seen = new Map<string, number>();
  resources.forEach((resource, index) => {
    const key = keyOf(resource);
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    (groups[round] ??= []).push(index);
  });
  return groups;
}

function keyOf(resource: IngestResource): string {
  return `${resource.resourceType}/${resource.id as string}`;
}

/**
 * One round (distinct keys). The current rows are locked `FOR UPDATE` in key order — so two commits carrying
 * the same resources (a Device sent with every reading) take turns without deadlocking, the second planning
 * from what the first committed: versions stay 1, 2, 3… without gaps. A resource not stored yet has no row to
 * lock: its insert is `ON CONFLICT DO NOTHING`, which waits for a concurrent insert of the same key; when that
 * one committed, nothing is inserted here and the resource is planned again on the row it made.
 */
async function writeRound(client: Client, batch: readonly IngestResource[], lastUpdated: Date): Promise<WrittenVersion[]> {
  const answers = new Map<string, WrittenVersion>();
  const created: PlannedWrite[] = [];
  const updated: PlannedWrite[] = [];
  let pending = [...batch].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  while (pending.length > 0) {
    const current = await lockCurrent(client, pending);
    const inserts: PlannedWrite[] = [];
    for (const resource of pending) {
      const key = keyOf(resource);
      const existing = current.get(key);
      const plan = planVersion(resource, existing, lastUpdated);
      const answer = { reference: key, resourceType: resource.resourceType, id: resource.id as string, versionId: plan.versionId };
      answers.set(key, { ...answer, created: plan.write });
      if (!plan.write) continue;
      const write = { key, stored: plan.stored, versionId: plan.versionId, lastUpdated: plan.lastUpdated, content: plan.content, rid: existing?.rid };
      (existing === undefined ? inserts : updated).push(write);
    }
    const inserted = await insertNew(client, inserts);
    created.push(...inserts.filter((w) => inserted.has(w.key)).map((w) => ({ ...w, rid: inserted.get(w.key) })));
    const raced = new Set(inserts.filter((w) => !inserted.has(w.key)).map((w) => w.key));
    pending = pending.filter((r) => raced.has(keyOf(r)));
  }
  await updateExisting(client, updated);
  const writes = [...created, ...updated];
  await insertHistory(client, writes);
  await reindex(client, writes, lastUpdated.getTime(), updated.map((w) => w.rid as number));
  return batch.map((resource) => answers.get(keyOf(resource)) as WrittenVersion);
}

/** Byte order, as the `COLLATE "C"` key columns sort: the order rows are locked in. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function lockCurrent(client: Client, resources: readonly IngestResource[]): Promise<Map<string, CurrentVersion & { rid: number }>> {
  const rows = await client.query<CurrentVersion & { rid: number; type: string; id: string }>(named('lock_resources',
    `SELECT r.rid, r.type, r.id, r.version_id AS "versionId", r.last_updated AS "lastUpdated", r.content
     FROM resources r JOIN unnest($1::text[], $2::text[]) AS u (t, i) ON r.type = u.t AND r.id = u.i
     ORDER BY r.type, r.id FOR UPDATE OF r`,
    [resources.map((r) => r.resourceType), resources.map((r) => r.id)],
  ));
  return new Map(rows.rows.map((row) => [`${row.type}/${row.id}`, row]));
}

/** Inserts first versions; answers the rid of each key inserted (a key created concurrently is absent). */
async function insertNew(client: Client, writes: readonly PlannedWrite[]): Promise<Map<string, number>> {
  if (writes.length === 0) return new Map();
  const inserted = await client.query<{ rid: number; type: string; id: string }>(named('insert_resources',
    `INSERT INTO resources (type, id, version_id, last_updated, content)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
     ON CONFLICT (type, id) DO NOTHING RETURNING rid, type, id`,
    versionColumns(writes),
  ));
  return new Map(inserted.rows.map((row) => [`${row.type}/${row.id}`, row.rid]));
}

async function updateExisting(client: Client, writes: readonly PlannedWrite[]): Promise<void> {
  if (writes.length === 0) return;
  await client.query(named('update_resources',
    `UPDATE resources r SET version_id = u.v, last_updated = u.l, content = u.c
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u (t, i, v, l, c)
     WHERE r.type = u.t AND r.id = u.i`,
    versionColumns(writes),
  ));
}

async function insertHistory(client: Client, writes: readonly PlannedWrite[]): Promise<void> {
  if (writes.length === 0) return;
  await client.query(named('insert_history',
    `INSERT INTO resource_history (type, id, version_id, last_updated, content)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`,
    versionColumns(writes),
  ));
}

function versionColumns(writes: readonly PlannedWrite[]): unknown[] {
  return [
    writes.map((w) => w.stored.resourceType), writes.map((w) => w.stored.id), writes.map((w) => w.versionId),
    writes.map((w) => w.lastUpdated), writes.map((w) => w.content),
  ];
}

/** Replaces the index rows of the written resources (upsert the rows, then the tokens: a new version may drop codes). */
async function reindex(client: Client, writes: readonly PlannedWrite[], lastUpdatedMs: number, replacedRids: readonly number[]): Promise<void> {
  const observations = writes.filter((w) => w.stored.resourceType === 'Observation');
  const devices = writes.filter((w) => w.stored.resourceType === 'Device');
  const tokens: Array<TokenRow & { rid: number }> = [];
  for (const w of writes) {
    const rows = w.stored.resourceType === 'Observation' ? observationTokens(w.stored) : deviceTokens(w.stored);
    for (const row of rows) tokens.push({ ...row, rid: w.rid as number });
  }
  if (observations.length > 0) {
    const rows = observations.map((w) => observationRow(w.stored as Extract<IngestResource, { resourceType: 'Observation' }>));
    await client.query(named('index_observations',
      `INSERT INTO observation_index (rid, id, subject, device, effective_start, effective_end, last_updated)
       SELECT u.*, $7::bigint FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) AS u
       ON CONFLICT (rid) DO UPDATE SET id = excluded.id, subject = excluded.subject, device = excluded.device,
         effective_start = excluded.effective_start, effective_end = excluded.effective_end, last_updated = excluded.last_updated`,
      [observations.map((w) => w.rid), observations.map((w) => w.stored.id), rows.map((r) => r.subject), rows.map((r) => r.device),
        rows.map((r) => r.start), rows.map((r) => r.end), lastUpdatedMs],
    ));
  }
  if (devices.length > 0) {
    await client.query(named('index_devices',
      `INSERT INTO device_index (rid, id, patient) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])
       ON CONFLICT (rid) DO UPDATE SET id = excluded.id, patient = excluded.patient`,
      [devices.map((w) => w.rid), devices.map((w) => w.stored.id),
        devices.map((w) => deviceRow(w.stored as Extract<IngestResource, { resourceType: 'Device' }>).patient)],
    ));
  }
  // A first version has no tokens to replace.
  if (replacedRids.length > 0) await client.query(named('drop_tokens', 'DELETE FROM token_index WHERE rid = ANY($1::bigint[])', [replacedRids]));
  if (tokens.length === 0) return;
  // All tokens in one statement; a coding repeated in one resource is one token (the key is the whole row).
  await client.query(named('insert_tokens',
    `INSERT INTO token_index (rid, param, system, code)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
    [tokens.map((t) => t.rid), tokens.map((t) => t.param), tokens.map((t) => t.system), tokens.map((t) => t.code)],
  ));
}
