import { createHash } from 'node:crypto';
import type { AuditEvent } from 'fhir/r4';
import { buildIngestAuditEvent, chainHash, GENESIS_HASH, verifyAuditChain, type ChainRecord } from '../../src/audit';

const RECORDED = new Date('2024-03-01T12:00:00Z');
const event = (deviceId: string): AuditEvent => buildIngestAuditEvent({ deviceId, outcome: 'success', recorded: RECORDED });

function chain(events: AuditEvent[]): ChainRecord[] {
  const records: ChainRecord[] = [];
  let prevHash = GENESIS_HASH;
  events.forEach((e, i) => {
    const hash = chainHash(prevHash, e);
    records.push({ seq: i + 1, event: e, prevHash, hash });
    prevHash = hash;
  });
  return records;
}

describe('chainHash', () => {
  it('is sha256(prevHash + canonical JSON), independent of key order', () => {
    const e = { resourceType: 'AuditEvent', recorded: 'r' } as unknown as AuditEvent;
    const reordered = { recorded: 'r', resourceType: 'AuditEvent' } as unknown as AuditEvent;
    const expected = createHash('sha256').update(`${GENESIS_HASH}{"recorded":"r","resourceType":"AuditEvent"}`).digest('hex');
    expect(chainHash(GENESIS_HASH, e)).toBe(expected);
    expect(chainHash(GENESIS_HASH, reordered)).toBe(expected);
  });
});

describe('verifyAuditChain', () => {
  const good = chain([event('a'), event('b'), event('c')]);

  it('accepts an intact chain and an empty one', () => {
    expect(verifyAuditChain(good)).toEqual({ ok: true });
    expect(verifyAuditChain([])).toEqual({ ok: true });
  });

  it.each<[string, (records: ChainRecord[]) => ChainRecord[], number]>([
    ['an edited event', (r) => r.map((x) => (x.seq === 2 ? { ...x, event: event('evil') } : x)), 2],
    ['a removed entry', (r) => r.filter((x) => x.seq !== 2), 3],
    ['a removed first entry', (r) => r.slice(1).map((x) => ({ ...x, seq: x.seq - 1 })), 1],
    ['swapped entries', (r) => [r[0], { ...(r[2] as ChainRecord), seq: 2 }, { ...(r[1] as ChainRecord), seq: 3 }] as ChainRecord[], 2],
    ['a recomputed hash without relinking', (r) => r.map((x) => (x.seq === 2 ? { ...x, event: event('evil'), hash: chainHash(x.prevHash, event('evil')) } : x)), 3],
    ['a first entry not linked to genesis', (r) => [{ ...(r[0] as ChainRecord), prevHash: 'f'.repeat(64) }, ...r.slice(1)], 1],
  ])('detects %s', (_what, tamper, seq) => {
    expect(verifyAuditChain(tamper(good))).toEqual({ ok: false, seq });
  });

  it('detects truncation only against an expected head', () => {
    const truncated = good.slice(0, 2);
    expect(verifyAuditChain(truncated)).toEqual({ ok: true });
    expect(verifyAuditChain(truncated, { expectedHead: good[2]?.hash })).toEqual({ ok: false, seq: 2 });
    expect(verifyAuditChain(good, { expectedHead: good[2]?.hash })).toEqual({ ok: true });
  });

  it('verifies a window against the hash it must link to', () => {
    const window = good.slice(1);
    expect(verifyAuditChain(window, { prevHash: good[0]?.hash })).toEqual({ ok: true });
    expect(verifyAuditChain(window, { prevHash: GENESIS_HASH })).toEqual({ ok: false, seq: 2 });
  });
});
