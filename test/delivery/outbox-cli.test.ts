import { join } from 'node:path';
import { Command } from 'commander';
import { buildDisclosureAuditEvent } from '../../src/delivery';
import { registerOutboxCommands, renderProgress, REPLAY_CHUNK } from '../../src/cli/commands/outbox';
import { openSqliteStore } from '../../src/store';
import type { Store } from '../../src/store/port';
import { cliSandbox, type CliSandbox } from '../cli/run-cli';
import { commitOf, device, observation } from '../store/store-fixtures';

/** A store in the CLI's data folder with `n` observations of device d1 for Patient/p1, all dead-lettered. */
async function seedDead(dataDir: string, n: number): Promise<void> {
  const store = openSqliteStore({ file: join(dataDir, 'iomt-bridge.db') });
  await store.addDevice({ id: 'd1', publicJwk: { kty: 'EC' } });
  await store.commitIngest(commitOf([device('d1', 'Patient/p1'), ...Array.from({ length: n }, (_, i) => observation({ id: `o${i}`, subject: 'Patient/p1' }))]));
  const claimed = await store.claimOutbox({ owner: 't', now: Date.now(), leaseMs: 1000, maxEntries: n + 1 });
  const event = buildDisclosureAuditEvent({ recipient: 'https://ehr.example/fhir', outcome: 'failure', recorded: new Date('2024-05-01T00:00:00Z'), entities: ['Observation/o0'], patients: ['Patient/p1'], errorCode: 'ERR_EHR_REJECTED' });
  await store.recordDelivery({ dead: claimed.map((c) => ({ seq: c.record.seq, error: 'ERR_EHR_REJECTED: 422', ehrResponse: '{"resourceType":"OperationOutcome"}' })), now: Date.now(), audit: { event, patients: ['Patient/p1'] } });
  await store.close();
}

describe('iomt-bridge outbox / audit disclosures', () => {
  let cli: CliSandbox;
  beforeEach(() => {
    cli = cliSandbox();
  });
  afterEach(() => cli.cleanup());

  it('shows status and dead entries, replays the dead letter, purges, and accounts for disclosures', async () => {
    await seedDead(cli.dataDir, 3);
    expect(JSON.parse((await cli.run(['outbox', 'status'])).out)).toMatchObject({ pending: 0, dead: 4, delivered: 0 });
    const listed = JSON.parse((await cli.run(['outbox', 'list', '--status', 'dead', '--limit', '2'])).out) as Array<Record<string, unknown>>;
    expect(listed.map((e) => [e.seq, e.lastError])).toEqual([[1, 'ERR_EHR_REJECTED: 422'], [2, 'ERR_EHR_REJECTED: 422']]);
    expect(JSON.parse((await cli.run(['outbox', 'replay', '--dead', '2'])).out)).toEqual({ replayed: 1 });
    expect(JSON.parse((await cli.run(['outbox', 'replay', '--dead'])).out)).toEqual({ replayed: 3 });
    expect(JSON.parse((await cli.run(['outbox', 'status'])).out)).toMatchObject({ pending: 4, dead: 0 });
    expect(JSON.parse((await cli.run(['outbox', 'purge', '--dead'])).out)).toEqual({ purged: 0 });
    const disclosures = JSON.parse((await cli.run(['audit', 'disclosures', '--patient', 'p1', '--since', '2024-01-01'])).out) as unknown[];
    expect(disclosures).toEqual([{ when: '2024-05-01T00:00:00.000Z', recipient: 'https://ehr.example/fhir', what: ['Observation/o0'], why: 'TREAT', outcome: 'ERR_EHR_REJECTED' }]);
    expect(JSON.parse((await cli.run(['audit', 'disclosures', '--patient', 'p1', '--since', '2024-06-01'])).out)).toEqual([]);
  });

  it.each([
    [['outbox', 'replay', 'abc'], "'abc' is not an outbox seq"],
    [['outbox', 'list', '--status', 'lost'], '--status must be pending, delivered or dead'],
    [['outbox', 'purge', '--before', 'yesterday'], '--before must be a date'],
    [['audit', 'disclosures', '--patient', '../x'], '--patient must be a Patient id'],
  ])('%j fails with a clear message', async (argv, message) => {
    const run = await cli.run(argv);
    expect(run.code).toBe(1);
    expect(run.err).toContain(message);
  });

  it('draws a progress bar on a terminal while replaying in chunks, and nothing when not a terminal', async () => {
    const n = REPLAY_CHUNK + 10;
    await seedDead(cli.dataDir, n);
    for (const isTTY of [true, false]) {
      const writes: string[] = [];
      const program = new Command().exitOverride();
      const out: string[] = [];
      const open = async (): Promise<Store> => openSqliteStore({ file: join(cli.dataDir, 'iomt-bridge.db') });
      registerOutboxCommands(program, { out: (t) => void out.push(t), err: () => undefined, readStdin: () => '' }, open, { isTTY, write: (t) => void writes.push(t) });
      await program.parseAsync(['outbox', 'replay'], { from: 'user' });
      expect(JSON.parse(out[0] ?? '')).toEqual({ replayed: isTTY ? n + 1 : 0 });
      expect(writes).toEqual(isTTY ? [`\r${renderProgress(REPLAY_CHUNK, n + 1)}`, `\r${renderProgress(n + 1, n + 1)}`, '\n'] : []);
    }
  });

  it.each([[0, 10, '[..........]   0% 0/10'], [5, 10, '[#####.....]  50% 5/10'], [10, 10, '[##########] 100% 10/10'], [0, 0, '[##########] 100% 0/0']])(
    'renderProgress(%i, %i)', (done, total, text) => {
      expect(renderProgress(done, total, 10)).toBe(text);
    },
  );
});
