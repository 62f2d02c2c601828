import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { verifyAuditPages } from '../../src/audit';
import { COPY_BATCH, registerStoreCommands } from '../../src/cli/commands/store-copy';
import { renderProgress } from '../../src/cli/progress';
import { buildAccessAuditEvent } from '../../src/audit';
import { openSqliteStore } from '../../src/store';
import { bridgeEnv, runCli } from '../e2e/support/bridge-process';
import { dropSchema, openTestPostgresStore, PG_URL, randomSchema } from '../store/postgres-fixtures';
import { fillStore } from '../store/copy/copy-fixtures';
import { NOW } from '../store/store-fixtures';

// `iomt-bridge store copy` as an operator runs it: the real command (bin/iomt-bridge.js runs dist/, which
// `npm test` builds first), the SQLite file taken from IOMT_SQLITE_FILE, a URL with a password in it.

const dir = mkdtempSync(join(tmpdir(), 'iomt-cli-copy-'));
const file = join(dir, 'data', 'bridge.db');
const schemas: string[] = [];
const PASSWORD = 'copy-not-a-real-password';
const url = new URL(PG_URL);
url.password = PASSWORD;
if (url.username === '') url.username = 'postgres';

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const schema of schemas) await dropSchema(schema);
});

beforeAll(async () => {
  const clock = { now: NOW };
  const store = openSqliteStore({ file, now: () => clock.now });
  await fillStore(store, clock);
  await store.close();
});

describe('iomt-bridge store copy', () => {
  it('copies the configured SQLite store, prints the counts per table, never the password; a second run is refused', async () => {
    const schema = randomSchema();
    schemas.push(schema);
    const env = bridgeEnv({ IOMT_DATA_DIR: dir, IOMT_SQLITE_FILE: file });
    const copied = await runCli(['store', 'copy', '--to', url.toString(), '--schema', schema], env);
    expect(copied).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(copied.stdout) as { from: string; to: string; schema: string; copied: Record<string, number>; auditHead: { seq: number; hash: string } };
    expect(report).toMatchObject({ from: file, schema, copied: { devices: 4, resources: 9, resource_history: 12, outbox: 12, audit: 10, disclosure_index: 2 } });
    expect(report.to).toBe(`${url.protocol}//${url.username}@${url.host}${url.pathname}`);
    expect(copied.stdout).not.toContain(PASSWORD);

    const again = await runCli(['store', 'copy', '--to', url.toString(), '--schema', schema], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`iomt-bridge: the PostgreSQL schema ${schema} already holds data \\(devices, resources, `));
    expect(again.stdout + again.stderr).not.toContain(PASSWORD);

    // The project's own verifier, run on each store as configured: SQLite's trail, and PostgreSQL's with the copy's entry.
    expect(JSON.parse((await runCli(['audit', 'verify'], env)).stdout)).toEqual({ ok: true, entries: 10, head: { seq: 10, hash: expect.any(String) } });
    const onPostgres = bridgeEnv({ IOMT_DATA_DIR: dir, IOMT_STORE: 'postgres', IOMT_POSTGRES_URL: url.toString(), IOMT_POSTGRES_SCHEMA: schema });
    const verified = await runCli(['audit', 'verify', '--head', report.auditHead.hash], onPostgres);
    expect(verified).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(verified.stdout)).toEqual({ ok: true, entries: 11, head: report.auditHead });

    // Only the first copy's entry was appended, and the chain on PostgreSQL verifies to the head it printed.
    const target = await openTestPostgresStore(schema);
    try {
      expect(await verifyAuditPages((afterSeq, limit) => target.listAudit({ afterSeq, limit }), { expectedHead: report.auditHead.hash }))
        .toEqual({ ok: true, entries: 11, head: report.auditHead });
      expect((await target.listAudit()).at(-1)?.event.agent[0]?.who?.identifier?.value).toMatch(/^cli:/);
    } finally {
      await target.close();
    }
  });

  it.each([
    [['store', 'copy', '--to', 'mysql://root:hunter2@db/x'], '--to must be a postgres:// or postgresql:// URL'],
    [['store', 'copy', '--to', 'hunter2'], '--to must be a postgres:// or postgresql:// URL'],
    [['store', 'copy', '--to', 'postgres://u:hunter2@127.0.0.1/test', '--schema', 'Bad-Name'], 'schema name must match'],
  ])('%j fails with a clear message, not repeating the URL', async (argv, message) => {
    const run = await runCli([...argv, '--from', file], bridgeEnv({ IOMT_DATA_DIR: dir }));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toContain('hunter2');
  });

  it('draws a progress bar per large table on a terminal, and nothing when not a terminal', async () => {
    const big = join(dir, 'big.db');
    const store = openSqliteStore({ file: big });
    const event = buildAccessAuditEvent({ clientId: 'ehr-app', interaction: 'read', outcome: 'success', recorded: NOW });
    for (let i = 0; i <= COPY_BATCH; i += 1) await store.appendAudit(event);
    await store.close();
    for (const isTTY of [true, false]) {
      const schema = randomSchema();
      schemas.push(schema);
      const writes: string[] = [];
      const out: string[] = [];
      const program = new Command().exitOverride();
      registerStoreCommands(program, { out: (t) => out.push(t), err: () => undefined, readStdin: () => '' }, () => big, { isTTY, write: (t) => writes.push(t) });
      await program.parseAsync(['store', 'copy', '--to', PG_URL, '--schema', schema], { from: 'user' });
      const n = COPY_BATCH + 1;
      expect(JSON.parse(out.join(''))).toMatchObject({ copied: { audit: n, devices: 0 } });
      expect(writes).toEqual(isTTY ? [`\r${'audit'.padEnd(17)} ${renderProgress(COPY_BATCH, n)}`, `\r${'audit'.padEnd(17)} ${renderProgress(n, n)}`, '\n'] : []);
    }
  });
});
