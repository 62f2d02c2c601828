import { verifyAuditChain } from '../../../src/audit';
import { groupCommitter, type Settled } from '../../../src/store/postgres/group-commit';
import type { Store } from '../../../src/store';
import { auditFor, commitOf, device, observation } from '../store-fixtures';
import { dropSchema, openTestPostgresStore, randomSchema } from '../postgres-fixtures';

/** A controllable group runner: records each group and settles it when the test says so. */
function gatedRunner() {
  const groups: string[][] = [];
  const gates: Array<(outcome: 'ok' | Error) => void> = [];
  const run = (members: readonly string[]) => new Promise<Array<Settled<string>>>((resolve, reject) => {
    groups.push([...members]);
    gates.push((outcome) => (outcome === 'ok'
      ? resolve(members.map((m) => (m.startsWith('bad') ? { ok: false, error: new Error(`refused ${m}`) } : { ok: true, value: `done ${m}` })))
      : reject(outcome)));
  });
  return { run, groups, open: (i: number, outcome: 'ok' | Error = 'ok') => (gates[i] as (o: 'ok' | Error) => void)(outcome) };
}

describe('groupCommitter', () => {
  it('runs up to `lanes` groups at once and gathers what arrives meanwhile into the next group', async () => {
    const r = gatedRunner();
    const join = groupCommitter(r.run, { lanes: 1, maxGroup: 10 });
    const first = join('a');
    const rest = ['b', 'c', 'd'].map((m) => join(m));
    expect(r.groups).toEqual([['a']]);
    r.open(0);
    await expect(first).resolves.toBe('done a');
    await new Promise(setImmediate);
    expect(r.groups).toEqual([['a'], ['b', 'c', 'd']]);
    r.open(1);
    await expect(Promise.all(rest)).resolves.toEqual(['done b', 'done c', 'done d']);
  });

  it('answers each member its own outcome: a refused member does not fail the others', async () => {
    const r = gatedRunner();
    const join = groupCommitter(r.run, { lanes: 1, maxGroup: 10 });
    const blocker = join('a');
    const results = Promise.allSettled(['b', 'bad-c', 'd'].map((m) => join(m)));
    r.open(0);
    await blocker;
    await new Promise(setImmediate);
    r.open(1);
    const settled = await results;
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual(['done b', 'refused bad-c', 'done d']);
  });

  it('splits at maxGroup', async () => {
    const r = gatedRunner();
    const join = groupCommitter(r.run, { lanes: 1, maxGroup: 2 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((m) => join(m));
    for (let i = 0; i < 3; i += 1) {
      await new Promise(setImmediate);
      r.open(i);
    }
    await Promise.all(all);
    expect(r.groups).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });

  it('runs each member of a group that failed as a whole on its own, so one bad member cannot fail the rest', async () => {
    const r = gatedRunner();
    const join = groupCommitter(r.run, { lanes: 1, maxGroup: 10 });
    const blocker = join('a');
    const results = Promise.allSettled(['b', 'c'].map((m) => join(m)));
    r.open(0);
    await blocker;
    await new Promise(setImmediate);
    r.open(1, new Error('connection lost'));
    await new Promise(setImmediate);
    r.open(2);
    await new Promise(setImmediate);
    r.open(3, new Error('still broken'));
    const settled = await results;
    expect(r.groups).toEqual([['a'], ['b', 'c'], ['b'], ['c']]);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual(['done b', 'still broken']);
  });
});

describe('PostgreSQL group commit through the store', () => {
  let schema: string;
  let store: Store;
  beforeEach(async () => {
    schema = randomSchema();
    store = await openTestPostgresStore(schema, { poolSize: 4 });
  });
  afterEach(async () => {
    await store.close();
    await dropSchema(schema);
  });

  it('commits many requests arriving together, refusing only the replayed jti, with a strict chain and ordered outbox', async () => {
    const commits = Array.from({ length: 24 }, (_, i) => commitOf([observation({ id: `g${i}` })], i === 13 ? 'jti-12' : `jti-${i}`));
    const standAlone = Array.from({ length: 6 }, () => store.appendAudit(auditFor('d1')));
    const settled = await Promise.allSettled(commits.map((c) => store.commitIngest(c)));
    await Promise.all(standAlone);
    const refused = settled.flatMap((s, i) => (s.status === 'rejected' ? [[i, (s.reason as { code?: string }).code]] : []));
    expect(refused).toEqual([[13, 'ERR_JTI_REPLAYED']]);
    expect(await store.read('Observation', 'g13')).toBeUndefined();
    expect(await store.counts()).toEqual({ resources: 23, outbox: 23, audit: 29, jti: 23 });
    const audit = await store.listAudit();
    expect(audit.map((r) => r.seq)).toEqual(Array.from({ length: 29 }, (_, i) => i + 1));
    expect(verifyAuditChain(audit)).toEqual({ ok: true });
    // Outbox seqs follow the audit order of the commits that queued them.
    const outbox = await store.listOutbox({ limit: 100 });
    const auditOrder = audit.flatMap((r) => (r.event.entity ?? []).map((e) => e.what?.reference).filter((x) => x?.startsWith('Observation/')));
    expect(outbox.map((o) => `Observation/${o.resourceId}`)).toEqual(auditOrder);
  });

  it('writes a Device repeated by every request of a group once, and a changed copy once as the next version', async () => {
    // Within a burst the order of concurrent requests is not fixed (two lanes), so each burst carries one content:
    // whatever the order, the Device is written once per burst and every other request answers it unchanged.
    const same = device('d1', 'Patient/p1');
    const changed = { ...same, serialNumber: 'sn-2' };
    const burst = async (resource: typeof same, tag: string) => {
      const commits = Array.from({ length: 12 }, (_, i) => commitOf([resource, observation({ id: `${tag}${i}` })], `jti-${tag}${i}`));
      const results = await Promise.all(commits.map((c) => store.commitIngest(c)));
      return results.map((r) => r.written.find((w) => w.reference === 'Device/d1'));
    };
    const first = await burst(same, 'a');
    expect(first.map((w) => w?.versionId)).toEqual(Array(12).fill('1'));
    expect(first.filter((w) => w?.created).length).toBe(1);
    const second = await burst(changed, 'b');
    expect(second.map((w) => w?.versionId)).toEqual(Array(12).fill('2'));
    expect(second.filter((w) => w?.created).length).toBe(1);
    expect((await store.read('Device', 'd1'))?.meta?.versionId).toBe('2');
    expect((await store.listOutbox({ limit: 100 })).filter((o) => o.resourceType === 'Device').map((o) => o.versionId)).toEqual(['1', '2']);
  });
});
