import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../../src/store';
import { migrate, SCHEMA_VERSION } from '../../../src/store/sqlite/migrations';
import { openDatabase } from '../../../src/store/sqlite/open-database';
import { commitOf, LOINC, NOW, observation } from '../store-fixtures';

describe('migration 3 (index tables keyed by the resource\'s integer rid)', () => {
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
    const now = openDatabase(file);
    try {
      expect(now.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(now.prepare('SELECT COUNT(*) FROM token_index').pluck().get()).toBe(1);
      const rid = now.prepare("SELECT rid FROM resources WHERE type = 'Observation' AND id = 'o1'").pluck().get();
      expect(now.prepare('SELECT rid FROM observation_index').pluck().all()).toEqual([rid]);
      expect(now.prepare('SELECT DISTINCT rid FROM token_index').pluck().all()).toEqual([rid]);
    } finally {
      now.close();
    }
  });

  it('keeps index rows pointing at their resources through VACUUM (rid is an INTEGER PRIMARY KEY)', async () => {
    const file = join(dir, 'bridge.db');
    const store = openSqliteStore({ file, now: () => NOW });
    await store.commitIngest(commitOf([observation({ id: 'a', code: '8867-4' }), observation({ id: 'b', code: '8480-6' })]));
    await store.close();
    const db = openDatabase(file);
    db.prepare("DELETE FROM resources WHERE id = 'a'").run(); // a gap in the rowids, which VACUUM could close
    db.prepare("DELETE FROM observation_index WHERE id = 'a'").run();
    db.exec('VACUUM');
    db.close();
    const again = openSqliteStore({ file, now: () => NOW });
    try {
      const found = await again.searchObservations({ code: [[{ code: '8480-6' }]], count: 10, offset: 0 });
      expect(found.resources.map((r) => r.id)).toEqual(['b']);
    } finally {
      await again.close();
    }
  });
});

describe('migration 4 (devices registered by client certificate thumbprint)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'iomt-migrate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the devices a version-3 database registered (key, patient, revocation) and then takes certificate-only ones', async () => {
    const file = join(dir, 'bridge.db');
    const v3 = openDatabase(file);
    migrate(v3, 3);
    const insert = v3.prepare('INSERT INTO devices (id, public_jwk, patient, status, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)');
    insert.run('d1', JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x1', y: 'y1' }), 'Patient/p1', 'active', NOW.toISOString(), null);
    insert.run('d2', JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x2', y: 'y2' }), null, 'revoked', NOW.toISOString(), NOW.toISOString());
    v3.close();

    const store = openSqliteStore({ file, now: () => NOW });
    try {
      expect(await store.listDevices()).toEqual([
        { id: 'd1', publicJwk: { kty: 'EC', crv: 'P-256', x: 'x1', y: 'y1' }, patient: 'Patient/p1', status: 'active', createdAt: NOW.toISOString() },
        { id: 'd2', publicJwk: { kty: 'EC', crv: 'P-256', x: 'x2', y: 'y2' }, status: 'revoked', createdAt: NOW.toISOString(), revokedAt: NOW.toISOString() },
      ]);
      await store.addDevice({ id: 'd3', certThumbprint: 'T'.repeat(43) });
      expect((await store.getDeviceByThumbprint('T'.repeat(43)))?.id).toBe('d3');
    } finally {
      await store.close();
    }
    const now = openDatabase(file);
    try {
      expect(now.pragma('user_version', { simple: true })).toBe(4);
      // The table's own CHECK: a row with neither credential cannot be written, even around the port.
      expect(() => now.prepare("INSERT INTO devices (id, status, created_at) VALUES ('d4', 'active', 'x')").run()).toThrow(/CHECK constraint/);
    } finally {
      now.close();
    }
  });
});
