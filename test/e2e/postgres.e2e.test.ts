import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Bundle, Observation } from 'fhir/r4';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { verifyAuditChain } from '../../src/audit';
import { signDeviceToken } from '../../src/ingest';
import { connectTo, dropSchema, PG_URL, randomSchema } from '../store/postgres-fixtures';
import { BIN, bridgeEnv, runCli } from './support/bridge-process';
import { examplesOf, expectedFor, withoutServerMeta } from './support/families';

// The whole bridge on PostgreSQL, as an operator runs it: IOMT_STORE=postgres, the real CLI registering and
// listing devices in a fresh schema, the real `serve` process, a device-signed reading over HTTP, and the
// reading read back through the secured FHIR API. dist/ must be built.

const dataDir = mkdtempSync(join(tmpdir(), 'iomt-e2e-pg-'));
const schema = randomSchema();
const PASSWORD = 'e2e-not-a-real-password';
// The URL carries a password (trust auth ignores it) so the test can show it never reaches the logs.
const url = new URL(PG_URL);
url.password = PASSWORD;
if (url.username === '') url.username = 'postgres';
const env = (extra: Record<string, string> = {}) => bridgeEnv({
  IOMT_DATA_DIR: dataDir, IOMT_STORE: 'postgres', IOMT_POSTGRES_URL: url.toString(), IOMT_POSTGRES_SCHEMA: schema, ...extra,
});
let serve: ChildProcess | undefined;
const logLines: string[] = [];

afterAll(async () => {
  serve?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  await dropSchema(schema);
});

/** `serve` on a free port; resolves with its socket URL and public URL once it logs `listening`. */
function startServe(): Promise<{ url: string; publicUrl: string; port: number }> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: env({ IOMT_PORT: '0', IOMT_LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'] });
  serve = child;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logLines.push(line);
      let parsed: { msg?: string; url?: string; publicUrl?: string };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        return; // not a log line; kept in logLines for the password check
      }
      if (parsed.msg === 'listening' && parsed.url && parsed.publicUrl) {
        resolve({ url: parsed.url, publicUrl: parsed.publicUrl, port: Number(new URL(parsed.url).port) });
      }
    });
  });
}

describe('the bridge on PostgreSQL, end to end over real sockets', () => {
  it('registers a device with the CLI, ingests a signed reading over HTTP and serves it back through the FHIR API', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk: JWK = await exportJWK(privateKey);
    const jwkFile = join(dataDir, 'thermo-pg.pub.json');
    writeFileSync(jwkFile, JSON.stringify(await exportJWK(publicKey)));
    const added = await runCli(['devices', 'add', '--id', 'thermo-pg', '--jwk', jwkFile, '--patient', 'Patient/pg-1'], env());
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const spare = await runCli(['devices', 'add', '--id', 'spare-pg', '--jwk', jwkFile], env());
    expect(spare.code).toBe(0);
    expect(await runCli(['devices', 'revoke', 'spare-pg'], env())).toMatchObject({ code: 0 });
    const listed = JSON.parse((await runCli(['devices', 'list'], env())).stdout) as Array<{ id: string; status: string }>;
    expect(listed.map((d) => [d.id, d.status])).toEqual([['thermo-pg', 'active'], ['spare-pg', 'revoked']]);

    const bridge = await startServe();
    const [example] = examplesOf('thermometer');
    const body = example!.text;
    const jwt = await signDeviceToken({ privateJwk, deviceId: 'thermo-pg', audience: `${bridge.publicUrl}/ingest`, body });
    const ingest = await fetch(`${bridge.url}/ingest`, { method: 'POST', body, headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' } });
    expect(ingest.status).toBe(202);
    expect(await ingest.json()).toMatchObject({ status: 'accepted', items: { accepted: 1 } });

    const token = await runCli(['token', '--scope', 'system/*.rs'], env({ IOMT_PORT: String(bridge.port) }));
    expect(token.code).toBe(0);
    const expected = expectedFor('thermometer', example!, 'thermo-pg', 'Patient/pg-1');
    const auth = { authorization: `Bearer ${token.stdout.trim()}` };
    const searched = await fetch(`${bridge.url}/fhir/Observation?patient=Patient/pg-1`, { headers: auth });
    expect(searched.status).toBe(200);
    const bundle = (await searched.json()) as Bundle<Observation>;
    expect(bundle.total).toBe(expected.observations.length);
    for (const observation of expected.observations) {
      const read = await fetch(`${bridge.url}/fhir/Observation/${observation.id}`, { headers: auth });
      expect(read.status).toBe(200);
      const served = (await read.json()) as Observation;
      expect(served.meta).toMatchObject({ versionId: '1' });
      expect(withoutServerMeta(served)).toEqual(observation);
    }

    // What the API served is what PostgreSQL holds, with the audit chain intact.
    const client = await connectTo(schema);
    try {
      const rows = await client.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM resources WHERE type = 'Observation'");
      expect(rows.rows[0]?.n).toBe(expected.observations.length);
    } finally {
      await client.end();
    }
    const status = await runCli(['outbox', 'status'], env());
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ pending: expected.observations.length + 1 });
    const disclosures = await runCli(['audit', 'disclosures', '--patient', 'pg-1'], env());
    expect([disclosures.code, JSON.parse(disclosures.stdout)]).toEqual([0, []]);
    serve?.kill('SIGTERM');
    await once(serve!, 'close');
    const { openPostgresStore } = await import('../../src/store');
    const store = await openPostgresStore({ url: PG_URL, schema });
    try {
      expect(verifyAuditChain(await store.listAudit())).toEqual({ ok: true });
    } finally {
      await store.close();
    }
    expect(logLines.join('\n')).not.toContain(PASSWORD);
  });
});
