import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../../src/store';
import { migrate } from '../../../src/store/sqlite/migrations';
import { openDatabase } from '../../../src/store/sqlite/open-database';
import { LOINC, NOW, observation } from '../store-fixtures';

describe('migration 3 (index tables WITHOUT ROWID)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'iomt-migrate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what a version-2 database indexed: searches still find it, a repeated token is kept once', async () => {
    const file = join(dir, 'bridge.db');
    const v2 = openDatabase(file);
    migrate(v2, 2);
    // As release 2 wrote an Observation: the resource, its observation_index row and its tokens (one twice).
    const obs = { ...observation({ id: 'o1', code: '8867-4', subject: 'Patient/p1' }), meta: { versionId: '1', lastUpdated: NOW.toISOString() } };
    v2.prepare('INSERT INTO resources VALUES (?, ?, ?, ?, ?)').run('Observation', 'o1', '1', NOW.toISOString(), JSON.stringify(obs));
    v2.prepare('INSERT INTO observation_index VALUES (?, ?, ?, ?, ?, ?)').run('o1', 'Patient/p1', 'Device/d1', NOW.getTime(), NOW.getTime(), NOW.getTime());
    const token = v2.prepare('INSERT INTO token_index VALUES (?, ?, ?, ?, ?)');
    token.run('Observation', 'o1', 'code', LOINC, '8867-4');
    token.run('Observation', 'o1', 'code', LOINC, '8867-4');
    v2.close();

    const store = openSqliteStore({ file, now: () => NOW });
    try {
      const found = await store.searchObservations({ code: [[{ system: LOINC, code: '8867-4' }]], subject: ['Patient/p1'], count: 10, offset: 0 });
      expect(found.resources.map((r) => r.id)).toEqual(['o1']);
      expect((await store.searchObservations({ code: [[{ code: '8480-6' }]], count: 10, offset: 0 })).total).toBe(0);
    } finally {
      await store.close();
    }
    const v3 = openDatabase(file);
    try {
      expect(v3.pragma('user_version', { simple: true })).toBe(3);
      expect(v3.prepare('SELECT COUNT(*) FROM token_index').pluck().get()).toBe(1);
      const withoutRowid = v3.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE '%WITHOUT ROWID%' ORDER BY name").pluck().all();
      expect(withoutRowid).toEqual(['observation_index', 'token_index']);
    } finally {
      v3.close();
    }
  });
});
