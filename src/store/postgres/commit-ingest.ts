import type { IngestCommit, IngestResult } from '../port';
import { jtiReplayed } from '../shared/resource-rules';
import { lockChain } from './audit-chain';
import { named, type Client, type Pool } from './connect-pool';
import { runTransaction } from './run-transaction';
import { writeResources } from './write-resource';

export interface CommitOptions {
  now: () => Date;
  /** Seconds a jti is kept after its token expired (must exceed the verifier's clock leeway). */
  jtiGraceSeconds: number;
}

/**
 * The ingest commit: jti, resources (+ history, index), one outbox row per written version and the audit
 * entry, in ONE transaction (run-transaction.ts: all or nothing, run again on a deadlock). READ COMMITTED with
 * explicit locks rather than SERIALIZABLE: every commit appends to the one audit chain, so under SERIALIZABLE
 * concurrent commits would nearly all conflict on its head and be retried; locking the rows that matter
 * makes them wait their turn instead. In order:
 *
 * 1. The jti: `INSERT … ON CONFLICT DO NOTHING` on its primary key. A concurrent commit with the same jti
 *    waits for the first and then inserts nothing: ERR_JTI_REPLAYED, however many bridges share the database.
 * 2. The resources, each row locked while its version is planned (write-resource.ts); commits of different
 *    devices' readings do this part in parallel.
 * 3. The chain head lock (audit-chain.ts), then the outbox rows and the audit entry, in one statement. Outbox seqs are drawn
 *    under that lock, so they follow commit order: a delivery worker can never see a device's later entry
 *    committed while an earlier one is still invisible (in flight), which per-device ordering relies on.
 */
export function ingestCommitter(pool: Pool, options: CommitOptions): (commit: IngestCommit) => Promise<IngestResult> {
  return (commit) => runTransaction(pool, async (client) => {
    const now = options.now();
    await pruneJti(client, Math.floor(now.getTime() / 1000) - options.jtiGraceSeconds);
    if (commit.jti !== undefined) {
      const used = await client.query(named('use_jti',
        'INSERT INTO used_jti (device_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT (device_id, jti) DO NOTHING',
        [commit.deviceId, commit.jti, commit.jtiExpiresAt ?? 0],
      ));
      if (used.rowCount === 0) throw jtiReplayed();
    }
    const versions = await writeResources(client, commit.resources, now);
    const chain = await lockChain(client);
    await chain.append(commit.audit, { deviceId: commit.deviceId, createdAt: now.toISOString(), versions: versions.filter((v) => v.created) });
    return { written: versions.map((v) => ({ reference: v.reference, created: v.created, versionId: v.versionId })) };
  });
}

/**
 * Expired jti rows, skipping those another commit is deleting right now (SKIP LOCKED): pruning is
 * housekeeping and must not make concurrent commits queue behind each other. Bounded per commit.
 */
async function pruneJti(client: Client, before: number): Promise<void> {
  await client.query(named('prune_jti',
    `DELETE FROM used_jti WHERE (device_id, jti) IN (
       SELECT device_id, jti FROM used_jti WHERE expires_at < $1 LIMIT 1000 FOR UPDATE SKIP LOCKED)`,
    [before],
  ));
}
