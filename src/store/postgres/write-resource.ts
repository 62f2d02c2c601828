import type { StoredRef } from '../port';
import { deviceRow, deviceTokens, observationRow, observationTokens, type TokenRow } from '../shared/index-rows';
import { checkResource, type IngestResource } from '../shared/resource-rules';
import { sameContent } from '../shared/server-meta';
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

/** One resource (a device link), checked, through the same set-based writer. */
export async function writeResource(client: Client, resource: IngestResource, lastUpdated: Date): Promise<WrittenVersion> {
  checkResource(resource);
  const [written] = await writeResources(client, [resource], lastUpdated);
  return written as WrittenVersion;
}

/**
 * Writes each resource's version with its history and index rows, unless the current version has the same
 * content (see ../shared/stored-version.ts), inside the caller's transaction. The answer is in input order.
 * The caller has checked every resource (checkResource): commit-ingest.ts does it per request, so that one
 * request's bad resource refuses that request only.
 *
 * Set-based: a commit of 10 readings writes 20 Observations, and one round trip per statement instead of five
 * per resource is what sets PostgreSQL's commit time (measured in bench/store.js). A resource that occurs again
 * with the same content as its previous occurrence (the Device of every request in a group commit) is that
 * occurrence's unchanged resend, answered without a database round; one that occurs again changed is written
 * in a further round, planned from the version before it, as one-by-one writing would.
 */
export async function writeResources(client: Client, resources: readonly IngestResource[], lastUpdated: Date): Promise<WrittenVersion[]> {
  const results: WrittenVersion[] = new Array<WrittenVersion>(resources.length);
  const { rounds, repeats } = plannedRounds(resources);
  for (const round of rounds) {
    const written = await writeRound(client, round.map((i) => resources[i] as IngestResource), lastUpdated);
    round.forEach((index, n) => (results[index] = written[n] as WrittenVersion));
  }
  for (const [index, previous] of repeats) results[index] = { ...(results[previous] as WrittenVersion), created: false };
  return results;
}

/**
 * Indices grouped so that no key repeats inside a round (a key's occurrences keep their order across rounds),
 * and the occurrences equal to the one before them, each with that one's index (in input order, so a chain of
 * repeats resolves front to back).
 */
function plannedRounds(resources: readonly IngestResource[]): { rounds: number[][]; repeats: Array<[number, number]> } {
  const rounds: number[][] = [];
  const repeats: Array<[number, number]> = [];
  const last = new Map<string, { index: number; round: number }>();
  resources.forEach((resource, index) => {
    const key = keyOf(resource);
    const before = last.get(key);
    if (before !== undefined && sameContent(resources[before.index] as IngestResource, resource)) {
      repeats.push([index, before.index]);
      return;
    }
    const round = before === undefined ? 0 : before.round + 1;
    last.set(key, { index, round });
    (rounds[round] ??= []).push(index);
  });
  return { rounds, repeats };
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
  let pending = [...batch].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  while (pending.length > 0) {
    const current = await lockCurrent(client, pending);
    const writes: PlannedWrite[] = [];
    for (const resource of pending) {
      const key = keyOf(resource);
      const existing = current.get(key);
      const plan = planVersion(resource, existing, lastUpdated);
      answers.set(key, { reference: key, resourceType: resource.resourceType, id: resource.id as string, versionId: plan.versionId, created: plan.write });
      if (plan.write) writes.push({ key, stored: plan.stored, versionId: plan.versionId, lastUpdated: plan.lastUpdated, content: plan.content, rid: existing?.rid });
    }
    // A new version may drop codes: the old version's tokens go first (a first version has none).
    const replaced = writes.flatMap((w) => (w.rid === undefined ? [] : [w.rid]));
    if (replaced.length > 0) await client.query(named('drop_tokens', 'DELETE FROM token_index WHERE rid = ANY($1::bigint[])', [replaced]));
    const done = await writeVersions(client, writes, lastUpdated.getTime());
    // Inserts that found the key taken by a commit that just finished: plan those again on its row.
    const raced = new Set(writes.filter((w) => w.rid === undefined && !done.has(w.key)).map((w) => w.key));
    pending = pending.filter((r) => raced.has(keyOf(r)));
  }
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

/**
 * Writes the planned versions in ONE statement: first versions inserted (`ON CONFLICT DO NOTHING`: a key a
 * concurrent commit just created is skipped and answered absent), current rows updated, and — for exactly the
 * rows written — history, index rows and tokens. Answers the keys written. Data-modifying WITH queries all
 * run, each seeing the tables as they were before the statement, which is why the token delete is a statement
 * of its own before this one.
 * See: https://www.postgresql.org/docs/15/queries-with.html#QUERIES-WITH-MODIFYING
 */
async function writeVersions(client: Client, writes: readonly PlannedWrite[], lastUpdatedMs: number): Promise<Set<string>> {
  if (writes.length === 0) return new Set();
  const index = writes.map((w) => indexRow(w.stored));
  const tokens = writes.flatMap((w) => tokensOf(w.stored).map((t) => ({ ...t, type: w.stored.resourceType, id: w.stored.id })));
  const rows = await client.query<{ type: string; id: string }>(named('write_versions',
    `WITH w AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[],
                            $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::text[])
         WITH ORDINALITY AS u (t, i, v, l, c, fresh, subject, device, s, e, patient, n)),
     ins AS (
       INSERT INTO resources (type, id, version_id, last_updated, content)
       SELECT t, i, v, l, c FROM w WHERE fresh ORDER BY n
       ON CONFLICT (type, id) DO NOTHING RETURNING rid, type, id),
     upd AS (
       UPDATE resources r SET version_id = w.v, last_updated = w.l, content = w.c
       FROM w WHERE NOT w.fresh AND r.type = w.t AND r.id = w.i RETURNING r.rid, r.type, r.id),
     done AS (SELECT * FROM ins UNION ALL SELECT * FROM upd),
     written AS (SELECT done.rid, w.* FROM done JOIN w ON w.t = done.type AND w.i = done.id),
     hist AS (
       INSERT INTO resource_history (type, id, version_id, last_updated, content) SELECT t, i, v, l, c FROM written),
     obs AS (
       INSERT INTO observation_index (rid, id, subject, device, effective_start, effective_end, last_updated)
       SELECT rid, i, subject, device, s, e, $12::bigint FROM written WHERE t = 'Observation'
       ON CONFLICT (rid) DO UPDATE SET id = excluded.id, subject = excluded.subject, device = excluded.device,
         effective_start = excluded.effective_start, effective_end = excluded.effective_end, last_updated = excluded.last_updated),
     dev AS (
       INSERT INTO device_index (rid, id, patient) SELECT rid, i, patient FROM written WHERE t = 'Device'
       ON CONFLICT (rid) DO UPDATE SET id = excluded.id, patient = excluded.patient),
     tok AS (
       INSERT INTO token_index (rid, param, system, code)
       SELECT written.rid, k.p, k.s, k.c FROM unnest($13::text[], $14::text[], $15::text[], $16::text[], $17::text[]) AS k (t, i, p, s, c)
       JOIN written ON written.t = k.t AND written.i = k.i
       ON CONFLICT DO NOTHING)
     SELECT type, id FROM done`,
    [
      writes.map((w) => w.stored.resourceType), writes.map((w) => w.stored.id), writes.map((w) => w.versionId),
      writes.map((w) => w.lastUpdated), writes.map((w) => w.content), writes.map((w) => w.rid === undefined),
      index.map((r) => r.subject), index.map((r) => r.device), index.map((r) => r.start), index.map((r) => r.end), index.map((r) => r.patient),
      lastUpdatedMs,
      // A coding repeated in one resource is one token (ON CONFLICT: the key is the whole row).
      tokens.map((t) => t.type), tokens.map((t) => t.id), tokens.map((t) => t.param), tokens.map((t) => t.system), tokens.map((t) => t.code),
    ],
  ));
  return new Set(rows.rows.map((row) => `${row.type}/${row.id}`));
}

/** The index columns of either table (the other type's are null). */
function indexRow(resource: IngestResource): { subject: string | null; device: string | null; start: number | null; end: number | null; patient: string | null } {
  if (resource.resourceType === 'Observation') return { ...observationRow(resource), patient: null };
  return { subject: null, device: null, start: null, end: null, patient: deviceRow(resource).patient };
}

function tokensOf(resource: IngestResource): TokenRow[] {
  return resource.resourceType === 'Observation' ? observationTokens(resource) : deviceTokens(resource);
}
