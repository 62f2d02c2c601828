import type { Observation } from 'fhir/r4';
import { verifyAuditChain } from '../../src/audit';
import { commitOf, device, NOW, observation, STORE_KINDS, tempStore, type TempStore } from './store-fixtures';

describe.each(STORE_KINDS)('commitIngest, $adapter', ({ kind }) => {
  let t: TempStore;
  beforeEach(async () => {
    t = await tempStore(kind);
  });
  afterEach(() => t.cleanup());

  it('writes resources, outbox rows, the jti and the audit entry together', async () => {
    const result = await t.store.commitIngest(
      commitOf([device('d1', 'Patient/p1'), observation({ id: 'o1', effective: '2024-03-01T10:00:00Z' })], 'jti-a'),
    );
    expect(result.written).toEqual([
      { reference: 'Device/d1', created: true, versionId: '1' },
      { reference: 'Observation/o1', created: true, versionId: '1' },
    ]);
    expect(await t.store.counts()).toEqual({ resources: 2, outbox: 2, audit: 1, jti: 1 });
    expect(await t.store.hasJti('d1', 'jti-a')).toBe(true);
    expect(await t.store.hasJti('d2', 'jti-a')).toBe(false);
    expect(await t.rows('SELECT resource_type, resource_id, version_id, device_id, status, attempts FROM outbox ORDER BY seq')).toEqual([
      { resource_type: 'Device', resource_id: 'd1', version_id: '1', device_id: 'd1', status: 'pending', attempts: 0 },
      { resource_type: 'Observation', resource_id: 'o1', version_id: '1', device_id: 'd1', status: 'pending', attempts: 0 },
    ]);
    const audit = await t.store.listAudit();
    expect(audit[0]?.event.entity?.[0]?.what?.reference).toBe('Device/d1');
    expect(verifyAuditChain(audit)).toEqual({ ok: true });
  });

  it('commits without a jti (a client-certificate request): no jti row, and a resend writes nothing new', async () => {
    const { jti: _jti, jtiExpiresAt: _exp, ...withoutJti } = commitOf([observation({ id: 'o1', effective: '2024-03-01T10:00:00Z' })]);
    expect((await t.store.commitIngest(withoutJti)).written).toEqual([expect.objectContaining({ reference: 'Observation/o1', created: true })]);
    expect((await t.store.commitIngest(withoutJti)).written).toEqual([expect.objectContaining({ reference: 'Observation/o1', created: false })]);
    expect(await t.store.counts()).toMatchObject({ resources: 1, outbox: 1, audit: 2, jti: 0 });
  });

  it('writes a Device repeated with every reading of one commit once, and a changed copy in the same commit as a new version', async () => {
    const d = device('d1', 'Patient/p1');
    const changed = { ...device('d1', 'Patient/p1'), status: 'inactive' as const };
    const result = await t.store.commitIngest(commitOf([d, observation({ id: 'o1' }), { ...d }, observation({ id: 'o2' }), changed, { ...changed }]));
    expect(result.written.map((w) => [w.reference, w.created, w.versionId])).toEqual([
      ['Device/d1', true, '1'], ['Observation/o1', true, '1'], ['Device/d1', false, '1'], ['Observation/o2', true, '1'],
      ['Device/d1', true, '2'], ['Device/d1', false, '2'],
    ]);
    expect((await t.store.read('Device', 'd1')) as { status?: string }).toMatchObject({ status: 'inactive', meta: { versionId: '2' } });
    expect((await t.store.outboxSummary()).pending).toBe(4);
  });

  it('takes a resend with its keys in another order as the same content, and a changed value as a new version', async () => {
    const first = observation({ id: 'o1', effective: '2024-03-01T10:00:00Z' });
    await t.store.commitIngest(commitOf([first]));
    const reordered = Object.fromEntries(Object.entries(first).reverse()) as typeof first;
    expect((await t.store.commitIngest(commitOf([reordered]))).written[0]).toMatchObject({ created: false, versionId: '1' });
    const changed = { ...first, valueQuantity: { ...first.valueQuantity, value: 73 } };
    expect((await t.store.commitIngest(commitOf([changed]))).written[0]).toMatchObject({ created: true, versionId: '2' });
  });

  it('does not write an identical resend (created false, no extra outbox row, no new version)', async () => {
    await t.store.commitIngest(commitOf([observation({ id: 'o1', effective: '2024-03-01T10:00:00Z' })]));
    t.clock.now = new Date(NOW.getTime() + 60_000);
    const again = await t.store.commitIngest(commitOf([observation({ id: 'o1', effective: '2024-03-01T10:00:00Z' })]));
    expect(again.written).toEqual([{ reference: 'Observation/o1', created: false, versionId: '1' }]);
    expect(await t.store.counts()).toEqual({ resources: 1, outbox: 1, audit: 2, jti: 2 });
    expect((await t.store.read('Observation', 'o1'))?.meta?.lastUpdated).toBe(NOW.toISOString());
  });

  it('makes version 2 with history and re-indexes when the content changed', async () => {
    await t.store.commitIngest(commitOf([observation({ id: 'o1', code: '8867-4', value: 72 })]));
    t.clock.now = new Date(NOW.getTime() + 60_000);
    const second = await t.store.commitIngest(commitOf([observation({ id: 'o1', code: '9279-1', value: 16 })]));
    expect(second.written).toEqual([{ reference: 'Observation/o1', created: true, versionId: '2' }]);
    const current = (await t.store.read('Observation', 'o1')) as Observation;
    expect(current.meta).toEqual({ versionId: '2', lastUpdated: '2024-03-01T12:01:00.000Z' });
    expect(current.valueQuantity?.value).toBe(16);
    expect(await t.rows("SELECT version_id FROM resource_history WHERE id = 'o1' ORDER BY version_id")).toEqual([
      { version_id: '1' },
      { version_id: '2' },
    ]);
    expect(await t.rows("SELECT version_id FROM outbox WHERE resource_id = 'o1' ORDER BY seq")).toEqual([
      { version_id: '1' },
      { version_id: '2' },
    ]);
    const old = await t.store.searchObservations({ code: [[{ code: '8867-4' }]], count: 10, offset: 0 });
    const now = await t.store.searchObservations({ code: [[{ code: '9279-1' }]], count: 10, offset: 0 });
    expect([old.total, now.total]).toEqual([0, 1]);
  });

  it('refuses a replayed jti with ERR_JTI_REPLAYED 409 and writes nothing of that commit', async () => {
    await t.store.commitIngest(commitOf([observation({ id: 'o1' })], 'jti-x'));
    const before = await t.store.counts();
    const replay = t.store.commitIngest(commitOf([observation({ id: 'o2' }), device('d9')], 'jti-x'));
    await expect(replay).rejects.toMatchObject({ name: 'FhirError', code: 'ERR_JTI_REPLAYED', status: 409 });
    expect(await t.store.counts()).toEqual(before);
    expect(await t.store.read('Observation', 'o2')).toBeUndefined();
  });

  it('scopes jti per device', async () => {
    await t.store.commitIngest(commitOf([observation({ id: 'o1' })], 'same', 'd1'));
    await expect(t.store.commitIngest(commitOf([observation({ id: 'o2' })], 'same', 'd2'))).resolves.toBeDefined();
  });

  it('rolls everything back when a resource fails in the middle of the commit', async () => {
    const broken = observation({ id: 'o2' }) as Observation & { extra?: unknown };
    broken.extra = BigInt(1); // JSON.stringify throws on BigInt: a failure after o1 has been written
    await expect(t.store.commitIngest(commitOf([observation({ id: 'o1' }), broken], 'jti-b'))).rejects.toThrow(/BigInt/);
    expect(await t.store.counts()).toEqual({ resources: 0, outbox: 0, audit: 0, jti: 0 });
    expect(await t.store.hasJti('d1', 'jti-b')).toBe(false);
    expect(await t.rows('SELECT * FROM resource_history')).toEqual([]);
    expect(await t.rows('SELECT * FROM token_index')).toEqual([]);
  });

  it.each([
    ['no id', { ...observation({ id: 'x' }), id: undefined }, 'ERR_RESOURCE_ID_INVALID'],
    ['an id with a path', observation({ id: '../Patient/1' }), 'ERR_RESOURCE_ID_INVALID'],
    ['another type', { resourceType: 'Patient', id: 'p1' } as unknown as Observation, 'ERR_RESOURCE_TYPE_UNSUPPORTED'],
  ])('refuses a resource with %s and writes nothing', async (_what, resource, code) => {
    await expect(t.store.commitIngest(commitOf([device('d1'), resource as Observation]))).rejects.toMatchObject({ code, status: 400 });
    expect(await t.store.counts()).toEqual({ resources: 0, outbox: 0, audit: 0, jti: 0 });
  });

  it('owns meta.versionId, meta.lastUpdated and meta.security; keeps meta.profile (mass assignment)', async () => {
    const obs = observation({ id: 'o1' });
    obs.meta = {
      versionId: '999',
      lastUpdated: '1999-01-01T00:00:00Z',
      security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'U' }],
      profile: ['http://hl7.org/fhir/StructureDefinition/heartrate'],
    };
    const result = await t.store.commitIngest(commitOf([obs]));
    expect(result.written[0]?.versionId).toBe('1');
    expect((await t.store.read('Observation', 'o1'))?.meta).toEqual({
      versionId: '1',
      lastUpdated: NOW.toISOString(),
      profile: ['http://hl7.org/fhir/StructureDefinition/heartrate'],
    });
    // A resend claiming another version is still the same content: nothing written.
    obs.meta.versionId = '5';
    expect((await t.store.commitIngest(commitOf([obs]))).written[0]).toMatchObject({ created: false, versionId: '1' });
  });

  it('handles the same resource twice in one commit (batch items sharing a Device)', async () => {
    const result = await t.store.commitIngest(commitOf([device('d1'), device('d1'), device('d1', 'Patient/p2')]));
    expect(result.written.map((w) => [w.created, w.versionId])).toEqual([[true, '1'], [false, '1'], [true, '2']]);
    expect((await t.store.counts()).outbox).toBe(2);
  });

  it('prunes jti rows long past their expiry', async () => {
    await t.store.commitIngest({ ...commitOf([observation({ id: 'o1' })], 'old'), jtiExpiresAt: NOW.getTime() / 1000 });
    t.clock.now = new Date(NOW.getTime() + 2 * 3600_000);
    await t.store.commitIngest(commitOf([observation({ id: 'o2' })], 'new'));
    expect(await t.store.hasJti('d1', 'old')).toBe(false);
    expect(await t.store.hasJti('d1', 'new')).toBe(true);
  });

  it('keeps jti and audit chain consistent across two connections to one database', async () => {
    const other = await t.openAnother();
    await t.store.commitIngest(commitOf([observation({ id: 'o1' })], 'shared'));
    await other.commitIngest(commitOf([observation({ id: 'o2' })], 'other'));
    await expect(other.commitIngest(commitOf([observation({ id: 'o3' })], 'shared'))).rejects.toMatchObject({
      code: 'ERR_JTI_REPLAYED',
    });
    await t.store.commitIngest(commitOf([observation({ id: 'o4' })]));
    const audit = await other.listAudit();
    expect(audit.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(verifyAuditChain(audit)).toEqual({ ok: true });
  });
});
