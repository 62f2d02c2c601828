import type { AuditEvent } from 'fhir/r4';
import type { IngestCommit, IngestResult } from '../port';
import { checkResource, jtiReplayed } from '../shared/resource-rules';
import { appendToChain } from './audit-chain';
import { named, type Client, type Pool } from './connect-pool';
import { groupCommitter, type Settled } from './group-commit';
import { runTransaction } from './run-transaction';
import { writeResources } from './write-resource';

export interface CommitOptions {
  now: () => Date;
  /** Seconds a jti is kept after its token expired (must exceed the verifier's clock leeway). */
  jtiGraceSeconds: number;
}

/** A member of a group commit: an ingest commit, or a stand-alone audit entry (no device, jti or resources). */
export type GroupMember = Pick<IngestCommit, 'audit'> & Partial<Omit<IngestCommit, 'audit'>>;

/** Group transactions in flight at once, and most members in one (see group-commit.ts; measured in bench/store.js). */
const LANES = 2;
const MAX_GROUP = 64;

/**
 * Ingest commits and stand-alone audit entries, grouped (group-commit.ts): each member is committed whole or
 * not at all, and answered after the COMMIT that made it durable.
 */
export function ingestCommitter(pool: Pool, options: CommitOptions): {
  commit: (commit: IngestCommit) => Promise<IngestResult>;
  audit: (event: AuditEvent) => Promise<void>;
} {
  const prune = pruneSchedule();
  const join = groupCommitter<GroupMember, IngestResult>(
    (members) => runTransaction(pool, (client) => commitGroup(client, members, { ...options, prune: prune(options.now()) })),
    { lanes: LANES, maxGroup: MAX_GROUP },
  );
  return { commit: join, audit: async (event) => void (await join({ audit: event })) };
}

/**
 * One group's transaction (run-transaction.ts: all or nothing, run again on a deadlock). READ COMMITTED with
 * explicit locks rather than SERIALIZABLE: every commit appends to the one audit chain, so under SERIALIZABLE
 * concurrent commits would nearly all conflict on its head and be retried; locking the rows that matter
 * makes them wait their turn instead. In order:
 *
 * 1. Each member's resources are checked (a refused member is answered alone; the others go on).
 * 2. The jtis, in one `INSERT … ON CONFLICT DO NOTHING`: a jti already stored — by an earlier commit, a
 *    concurrent one on any bridge (it waits for that one), or an earlier member of this group — makes its
 *    member ERR_JTI_REPLAYED, with nothing of it written.
 * 3. Every remaining member's resources in one set-based write, rows locked in key order (write-resource.ts):
 *    two groups sharing a Device take turns instead of deadlocking. A resource in two members is written as
 *    two consecutive versions (or once, the second being an unchanged resend).
 * 4. The chain head lock (audit-chain.ts), then each member's audit entry with its outbox rows, in member
 *    order, in one statement. Outbox seqs are drawn under that lock, so they follow commit order: a delivery
 *    worker can never see a device's later entry committed while an earlier one is still invisible (in
 *    flight), which per-device ordering relies on.
 */
export async function commitGroup(
  client: Client, members: readonly GroupMember[], options: CommitOptions & { prune: boolean },
): Promise<Array<Settled<IngestResult>>> {
  const now = options.now();
  if (options.prune) await pruneJti(client, Math.floor(now.getTime() / 1000) - options.jtiGraceSeconds);
  const settled = members.map(checkMember);
  await useJtis(client, members, settled);
  const live = members.flatMap((member, i) => (settled[i]?.ok === true ? [{ member, i }] : []));
  const versions = await writeResources(client, live.flatMap(({ member }) => member.resources ?? []), now);
  const createdAt = now.toISOString();
  let next = 0;
  const entries = live.map(({ member, i }) => {
    const own = versions.slice(next, (next += member.resources?.length ?? 0));
    settled[i] = { ok: true, value: { written: own.map((v) => ({ reference: v.reference, created: v.created, versionId: v.versionId })) } };
    return { event: member.audit, queue: { deviceId: member.deviceId ?? '', createdAt, versions: own.filter((v) => v.created) } };
  });
  await appendToChain(client, entries);
  return settled;
}

function checkMember(member: GroupMember): Settled<IngestResult> {
  try {
    for (const resource of member.resources ?? []) checkResource(resource);
    return { ok: true, value: { written: [] } };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Records the jtis of the members still in (RFC 7519 §4.1.7); a member whose jti was already used is
 * refused in `settled`. The primary key makes a concurrent commit of the same jti wait for the first one.
 */
async function useJtis(client: Client, members: readonly GroupMember[], settled: Array<Settled<IngestResult>>): Promise<void> {
  const claims = new Map<string, number>();
  members.forEach((member, i) => {
    if (member.jti === undefined || settled[i]?.ok !== true) return;
    const key = jtiKey(member.deviceId ?? '', member.jti);
    if (claims.has(key)) settled[i] = { ok: false, error: jtiReplayed() };
    else claims.set(key, i);
  });
  if (claims.size === 0) return;
  const claimed = [...claims.values()].map((i) => members[i] as GroupMember);
  const inserted = await client.query<{ device_id: string; jti: string }>(named('use_jti',
    `INSERT INTO used_jti (device_id, jti, expires_at) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
     ON CONFLICT (device_id, jti) DO NOTHING RETURNING device_id, jti`,
    [claimed.map((m) => m.deviceId), claimed.map((m) => m.jti), claimed.map((m) => m.jtiExpiresAt ?? 0)],
  ));
  const fresh = new Set(inserted.rows.map((row) => jtiKey(row.device_id, row.jti)));
  for (const [key, i] of claims) if (!fresh.has(key)) settled[i] = { ok: false, error: jtiReplayed() };
}

function jtiKey(deviceId: string, jti: string): string {
  return `${deviceId}\u0000${jti}`;
}

/**
 * Prune at most every 10 s (store clock), up to 5,000 rows a time (30,000 a minute, far above one bridge's
 * request rate); a jti row kept a little past its grace changes nothing.
 */
const PRUNE_EVERY_MS = 10_000;

function pruneSchedule(): (now: Date) => boolean {
  let last = -Infinity;
  return (now) => {
    if (now.getTime() - last < PRUNE_EVERY_MS) return false;
    last = now.getTime();
    return true;
  };
}

/**
 * Expired jti rows, skipping those another commit is deleting right now (SKIP LOCKED): pruning is
 * housekeeping and must not make concurrent commits queue behind each other. Bounded per run.
 */
async function pruneJti(client: Client, before: number): Promise<void> {
  await client.query(named('prune_jti',
    `DELETE FROM used_jti WHERE (device_id, jti) IN (
       SELECT device_id, jti FROM used_jti WHERE expires_at < $1 LIMIT 5000 FOR UPDATE SKIP LOCKED)`,
    [before],
  ));
}
