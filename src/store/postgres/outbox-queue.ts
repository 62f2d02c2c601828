import type { Device, Observation } from 'fhir/r4';
import type { ClaimedEntry, ClaimOutboxOptions, DeliveryOutcome } from '../port';
import { keptResponse, outboxRecordOf, type OutboxDbRow } from '../shared/outbox-record';
import { appendToChain } from './audit-chain';
import type { Client, Pool } from './connect-pool';
import { runTransaction } from './run-transaction';

/**
 * The outbox as a work queue shared by every bridge on the database. A lease ends by time: the entries of a
 * process killed mid-delivery become due again when it expires (redelivery is harmless: the EHR side is
 * conditional create).
 */
export interface OutboxQueue {
  claim(options: ClaimOutboxOptions): Promise<ClaimedEntry[]>;
  record(outcome: DeliveryOutcome): Promise<void>;
  release(now: number, isGone: (owner: string) => boolean): Promise<Array<{ owner: string; entries: number }>>;
}

export function outboxQueue(pool: Pool): OutboxQueue {
  return {
    claim: (o) => runTransaction(pool, (client) => claimBatch(client, o)),
    record: (o) => runTransaction(pool, (client) => recordOutcome(client, o)),
    release: (now, isGone) => runTransaction(pool, (client) => releaseLeases(client, now, isGone)),
  };
}

/**
 * A device's head is its lowest pending seq; only a head that is due (no retry waiting) and not leased lets
 * its device be claimed, and then its run of pending entries in seq order: delivery stays ordered per device.
 *
 * Concurrent claimers (other workers, other bridges) are kept apart by the head row: it is locked
 * `FOR UPDATE SKIP LOCKED`, so a second claimer passes over a device whose head the first is leasing and takes
 * the next device instead of waiting. A head the first claimer has just leased and committed fails the
 * re-checked conditions (`lease_until <= now`) when the second reaches it, so it is not claimed twice.
 * The device's run is then locked plainly (FOR UPDATE): only the head's holder claims it. Outbox seqs follow
 * commit order (commit-ingest.ts), so no earlier entry of the device can still be in flight, unseen.
 * See: https://www.postgresql.org/docs/15/sql-select.html#SQL-FOR-UPDATE-SHARE
 */
async function claimBatch(client: Client, o: ClaimOutboxOptions): Promise<ClaimedEntry[]> {
  const heads = await client.query<{ seq: number; device_id: string }>(
    `SELECT o.seq, o.device_id FROM outbox o
     WHERE o.seq IN (
         SELECT h.seq FROM devices d
         CROSS JOIN LATERAL (
           SELECT seq FROM outbox WHERE device_id = d.id AND status = 'pending' ORDER BY seq LIMIT 1) h)
       AND o.status = 'pending' AND o.next_attempt_at <= $1 AND o.lease_until <= $1
     ORDER BY o.seq LIMIT $2
     FOR UPDATE OF o SKIP LOCKED`,
    [o.now, o.maxEntries],
  );
  const seqs: number[] = [];
  for (const head of heads.rows) {
    const room = o.maxEntries - seqs.length;
    if (room <= 0) break;
    const run = await client.query<{ seq: number }>(
      `SELECT seq FROM outbox WHERE device_id = $1 AND status = 'pending' ORDER BY seq LIMIT $2 FOR UPDATE`,
      [head.device_id, room],
    );
    for (const r of run.rows) seqs.push(r.seq);
  }
  if (seqs.length === 0) return [];
  // The lease and the read in one statement (one round trip while the rows are locked): RETURNING gives the
  // updated rows, as a SELECT after the UPDATE in this transaction would.
  const rows = await client.query<OutboxDbRow & { content: string }>(
    `WITH o AS (UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE seq = ANY($3::bigint[]) RETURNING *)
     SELECT o.*, h.content FROM o
     JOIN resource_history h ON h.type = o.resource_type AND h.id = o.resource_id AND h.version_id = o.version_id`,
    [o.owner, o.now + o.leaseMs, seqs],
  );
  const bySeq = new Map(rows.rows.map((row) => [row.seq, row]));
  // The batch in claim order (device by device), as the SQLite adapter returns it.
  return seqs.map((seq) => {
    const row = bySeq.get(seq) as OutboxDbRow & { content: string };
    return { record: outboxRecordOf(row), resource: JSON.parse(row.content) as Device | Observation };
  });
}

const CLEAR = 'lease_owner = NULL, lease_until = 0, attempts = attempts + 1';

/** Writes one attempt's outcome and its disclosure entry (with one index row per patient) together. */
async function recordOutcome(client: Client, o: DeliveryOutcome): Promise<void> {
  const nowIso = new Date(o.now).toISOString();
  const delivered = o.delivered ?? [];
  if (delivered.length > 0) {
    await client.query(
      `UPDATE outbox o SET status = 'delivered', delivered_at = $1, ehr_reference = u.ref, last_error = NULL, ehr_response = NULL, ${CLEAR}
       FROM unnest($2::bigint[], $3::text[]) AS u (seq, ref) WHERE o.seq = u.seq AND o.status = 'pending'`,
      [nowIso, delivered.map((d) => d.seq), delivered.map((d) => d.ehrReference ?? null)],
    );
  }
  if (o.retry && o.retry.seqs.length > 0) {
    await client.query(
      `UPDATE outbox SET next_attempt_at = $1, last_error = $2, ehr_response = $3, ${CLEAR} WHERE seq = ANY($4::bigint[]) AND status = 'pending'`,
      [o.retry.nextAttemptAt, o.retry.error, keptResponse(o.retry.ehrResponse), o.retry.seqs],
    );
  }
  const dead = o.dead ?? [];
  if (dead.length > 0) {
    await client.query(
      `UPDATE outbox o SET status = 'dead', last_error = u.error, ehr_response = u.response, ${CLEAR}
       FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u (seq, error, response) WHERE o.seq = u.seq AND o.status = 'pending'`,
      [dead.map((d) => d.seq), dead.map((d) => d.error), dead.map((d) => keptResponse(d.ehrResponse))],
    );
  }
  if (o.audit) {
    // The disclosure index rows go in the same statement as the entry (one round trip under the head lock).
    await appendToChain(client, [{ event: o.audit.event, disclosed: { patients: o.audit.patients, recorded: o.audit.event.recorded ?? nowIso } }]);
  }
}

/** Ends the running leases of owners `isGone` names; not an attempt, so `attempts` stays as it was. */
async function releaseLeases(client: Client, now: number, isGone: (owner: string) => boolean): Promise<Array<{ owner: string; entries: number }>> {
  const owners = await client.query<{ lease_owner: string }>(
    `SELECT DISTINCT lease_owner FROM outbox WHERE status = 'pending' AND lease_until > $1 AND lease_owner IS NOT NULL`,
    [now],
  );
  const released: Array<{ owner: string; entries: number }> = [];
  for (const owner of owners.rows.map((r) => r.lease_owner).filter((name) => isGone(name))) {
    const result = await client.query(`UPDATE outbox SET lease_owner = NULL, lease_until = 0 WHERE status = 'pending' AND lease_owner = $1`, [owner]);
    released.push({ owner, entries: result.rowCount ?? 0 });
  }
  return released;
}
