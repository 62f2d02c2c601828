import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { buildAccessAuditEvent } from '../../../src/audit';
import { buildDisclosureAuditEvent } from '../../../src/delivery';
import { connectPool } from '../../../src/store/postgres/connect-pool';
import { COPIED_TABLES } from '../../../src/store/copy';
import type { Store } from '../../../src/store';
import { PG_URL } from '../postgres-fixtures';
import { auditFor, commitOf, device, NOW, observation } from '../store-fixtures';

export const ACTOR = { system: 'urn:iomt-bridge:user', value: 'cli:test-operator' };
const JWK = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' };
const MINUTE = 60_000;
const at = (minutes: number) => new Date(NOW.getTime() + minutes * MINUTE);

/**
 * A store filled through the port only, as a running bridge fills it: four registered devices (one revoked,
 * registered by certificate only; one linked at registration, with a key and a certificate; one linked later by a
 * clinician), a Device sent in three versions, observations with
 * codes, categories and effective times, stand-alone audit entries, and the outbox in every state — delivered
 * (with the EHR's reference), dead (with the EHR's answer), waiting for a retry, and one still leased.
 */
export async function fillStore(store: Store, clock: { now: Date }): Promise<void> {
  await store.addDevice({ id: 'd1', publicJwk: JWK });
  // d2 with a key and a client certificate, d3 with a certificate only (no key: public_jwk NULL).
  await store.addDevice({ id: 'd2', publicJwk: JWK, certThumbprint: 'd2-thumbprint-0123456789abcdefghijklmnopqrs', patient: 'Patient/p2' });
  await store.addDevice({ id: 'd3', certThumbprint: 'd3-thumbprint-0123456789abcdefghijklmnopqrs' });
  await store.addDevice({ id: 'd4', publicJwk: JWK });
  const ident = (n: number) => [{ system: 'urn:serial', value: `SN-${n}` }];
  await store.commitIngest(commitOf([device('d1', 'Patient/p1', ident(1)), observation({ id: 'o1', effective: '2024-02-01T10:00:00Z', category: 'vital-signs' })], 'j1'));
  clock.now = at(1);
  await store.commitIngest(commitOf([device('d1', 'Patient/p1', ident(2)), observation({ id: 'o2', code: '8310-5', effective: '2024-02-02T10:00:00Z' })], 'j2'));
  clock.now = at(2);
  await store.commitIngest(commitOf([device('d1', 'Patient/p1', ident(3)), observation({ id: 'o3', effective: { start: '2024-02-03', end: '2024-02-04' }, value: 80 })], 'j3'));
  // An unchanged resend: no new version, no outbox row.
  await store.commitIngest(commitOf([device('d1', 'Patient/p1', ident(3))], 'j4'));
  await store.commitIngest(commitOf([device('d2', 'Patient/p2'), observation({ id: 'o4', subject: 'Patient/p2', device: 'Device/d2', effective: '2024-02-05' })], 'j5', 'd2'));
  clock.now = at(3);
  await store.linkDevice('d4', 'Patient/p4', auditFor('d4', ['Device/d4']));
  await store.commitIngest(commitOf([device('d4', 'Patient/p4', ident(4)), observation({ id: 'o5', subject: 'Patient/p4', device: 'Device/d4' })], 'j6', 'd4'));
  await store.revokeDevice('d3');
  await store.appendAudit(buildAccessAuditEvent({ clientId: 'ehr-app', user: 'Practitioner/7', interaction: 'search-type', outcome: 'success', recorded: clock.now, query: 'subject=Patient/p1' }));

  clock.now = at(4);
  const claimed = await store.claimOutbox({ owner: 'worker-1', now: clock.now.getTime(), leaseMs: MINUTE, maxEntries: 100 });
  const seqsOf = (deviceId: string) => claimed.filter((c) => c.record.deviceId === deviceId).map((c) => c.record.seq);
  const [dead, ...retry] = seqsOf('d4');
  const disclosure = buildDisclosureAuditEvent({
    recipient: 'https://ehr.example/fhir', outcome: 'success', recorded: clock.now, entities: ['Observation/o1'], patients: ['Patient/p1', 'Patient/p2'],
  });
  await store.recordDelivery({
    delivered: [...seqsOf('d1'), ...seqsOf('d2')].map((seq) => ({ seq, ehrReference: `Observation/ehr-${seq}` })),
    dead: [{ seq: dead as number, error: 'ERR_EHR_REJECTED: 422', ehrResponse: '{"resourceType":"OperationOutcome","issue":[]}' }],
    retry: { seqs: retry, nextAttemptAt: at(30).getTime(), error: 'ERR_EHR_UNAVAILABLE: 503', ehrResponse: 'busy' },
    now: clock.now.getTime(),
    audit: { event: disclosure, patients: ['Patient/p1', 'Patient/p2'] },
  });
  clock.now = at(5);
  await store.commitIngest(commitOf([observation({ id: 'o6', effective: '2024-02-06T08:30:00+01:00', category: 'vital-signs' })], 'j7'));
  // Leased and not answered yet: in flight when the copy runs.
  await store.claimOutbox({ owner: 'worker-2', now: clock.now.getTime(), leaseMs: 10 * MINUTE, maxEntries: 1 });
}

/** Every copied table's rows, in key order, from the SQLite file (read-only). */
export function sqliteRows(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    return Object.fromEntries(COPIED_TABLES.map((t) => [t.name, db.prepare(`SELECT ${t.columns.map(([c]) => c).join(', ')} FROM ${t.name} ORDER BY ${t.key.join(', ')}`).all()]));
  } finally {
    db.close();
  }
}

/** The same from PostgreSQL (bigints as numbers, as the store reads them), plus the chain head row. */
export async function postgresRows(schema: string): Promise<Record<string, unknown[]>> {
  const pool = connectPool({ url: PG_URL, schema, poolSize: 1 });
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of COPIED_TABLES) {
      out[t.name] = (await pool.query(`SELECT ${t.columns.map(([c]) => c).join(', ')} FROM ${t.name} ORDER BY ${t.key.join(', ')}`)).rows;
    }
    out.audit_head = (await pool.query('SELECT seq, hash FROM audit_head')).rows;
    return out;
  } finally {
    await pool.end();
  }
}

export const sha256File = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
