import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFhirError } from '../../../src/errors/fhir-error';
import { openSqliteStore } from '../../../src/store';
import { startThreadedWriter } from '../../../src/store/sqlite/threaded-writer';
import { auditFor, commitOf, NOW, observation, tempSqliteStore, type TempSqliteStore } from '../store-fixtures';

// The suites of commit-ingest, outbox and audit-log run on both SQLite write paths (STORE_KINDS); these are the
// cases only the writer thread has: errors crossing threads, closing with writes in flight, a dead thread.
describe('the store writer thread', () => {
  let t: TempSqliteStore;
  beforeEach(() => {
    t = tempSqliteStore({ writerThread: true });
  });
  afterEach(() => t.cleanup());

  it('hands back a FhirError with its code, status and OperationOutcome (a replayed jti)', async () => {
    await t.store.commitIngest(commitOf([observation({ id: 'o1' })], 'same-jti'));
    const error: unknown = await t.store.commitIngest(commitOf([observation({ id: 'o2' })], 'same-jti')).catch((e: unknown) => e);
    expect(isFhirError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_JTI_REPLAYED', status: 409, outcome: { issue: [{ code: 'conflict' }] } });
    expect(await t.store.read('Observation', 'o2')).toBeUndefined();
  });

  it('uses the caller\'s clock for lastUpdated (the time the commit was handed over)', async () => {
    t.clock.now = new Date('2025-05-05T05:05:05.000Z');
    await t.store.commitIngest(commitOf([observation({ id: 'o1' })]));
    expect((await t.store.read('Observation', 'o1'))?.meta?.lastUpdated).toBe('2025-05-05T05:05:05.000Z');
  });

  it('answers every write handed over before close, and they are durable', async () => {
    const commits = Array.from({ length: 20 }, (_, i) => t.store.commitIngest(commitOf([observation({ id: `o${i}` })])));
    const closed = t.store.close();
    const results = await Promise.all(commits);
    await closed;
    expect(results.every((r) => r.written[0]?.created === true)).toBe(true);
    const reopened = openSqliteStore({ file: t.file, now: () => NOW });
    try {
      expect((await reopened.counts()).resources).toBe(20);
      expect((await reopened.outboxSummary()).pending).toBe(20);
    } finally {
      await reopened.close();
    }
  });
});

describe('a writer thread that cannot run', () => {
  it('rejects the pending and every later call with the reason, and never hangs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iomt-writer-'));
    const notAFolder = join(dir, 'file');
    writeFileSync(notAFolder, 'x');
    try {
      const writer = startThreadedWriter({ file: join(notAFolder, 'bridge.db'), jtiGraceSeconds: 60 });
      await expect(writer.appendAudit(auditFor('d1'))).rejects.toThrow();
      await expect(writer.appendAudit(auditFor('d1'))).rejects.toThrow();
      await writer.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
