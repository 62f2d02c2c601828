import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildAccessAuditEvent } from '../../src/audit';
import { openSqliteStore } from '../../src/store';
import { NOW } from '../store/store-fixtures';
import { cliSandbox, type CliSandbox } from './run-cli';

describe('iomt-bridge audit verify', () => {
  let cli: CliSandbox;
  let file: string;
  let hashes: string[];
  beforeEach(async () => {
    cli = cliSandbox();
    file = join(cli.dataDir, 'iomt-bridge.db');
    const store = openSqliteStore({ file });
    for (let i = 0; i < 5; i += 1) await store.appendAudit(buildAccessAuditEvent({ clientId: `c${i}`, interaction: 'read', outcome: 'success', recorded: NOW }));
    hashes = (await store.listAudit()).map((r) => r.hash);
    await store.close();
  });
  afterEach(() => cli.cleanup());

  it('verifies the whole chain and prints its head; --head checks it against a hash kept elsewhere', async () => {
    expect(await cli.run(['audit', 'verify'])).toEqual({ code: 0, err: '', out: `${JSON.stringify({ ok: true, entries: 5, head: { seq: 5, hash: hashes[4] } }, null, 2)}\n` });
    expect((await cli.run(['audit', 'verify', '--head', hashes[4] as string])).code).toBe(0);
    // The trail as it was two entries earlier: the last two look removed.
    expect(await cli.run(['audit', 'verify', '--head', hashes[2] as string])).toMatchObject({ code: 1, out: expect.stringContaining('"brokenAt": 5') });
    expect(await cli.run(['audit', 'verify', '--head', 'abc'])).toMatchObject({ code: 1, err: expect.stringContaining('--head must be a SHA-256 hash') });
  });

  it('names the first entry that does not hold when one was edited behind the store (exit 1)', async () => {
    const db = new Database(file);
    db.prepare(`UPDATE audit SET event = replace(event, '"c2"', '"c9"') WHERE seq = 3`).run();
    db.close();
    const run = await cli.run(['audit', 'verify']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.out)).toEqual({ ok: false, brokenAt: 3 });
  });
});
