import type { Bundle, BundleEntry } from 'fhir/r4';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FhirError } from '../../src/errors/fhir-error';
import { FaultQueue, checkFault } from '../../src/sandbox/fault-queue';
import { processTransaction } from '../../src/sandbox/process-transaction';
import { SandboxStore } from '../../src/sandbox/sandbox-store';

const NOW = new Date('2025-03-01T10:00:00Z');
const device = (serial: string, fullUrl: string): BundleEntry => ({
  fullUrl,
  resource: { resourceType: 'Device', identifier: [{ system: 'urn:s', value: serial }] },
  request: { method: 'POST', url: 'Device', ifNoneExist: `identifier=urn:s|${serial}` },
});
const tx = (...entry: BundleEntry[]): Bundle => ({ resourceType: 'Bundle', type: 'transaction', entry });

describe('processTransaction', () => {
  it('treats an earlier create in the same Bundle as existing (two entries, one identifier → one resource)', () => {
    const store = new SandboxStore();
    const out = processTransaction(store, tx(device('A', 'urn:uuid:1'), device('A', 'urn:uuid:2')), { now: NOW });
    expect(out.entry?.map((e) => e.response?.status)).toEqual(['201 Created', '200 OK']);
    expect(store.all('Device')).toHaveLength(1);
    expect(store.all('Device')[0]?.meta).toEqual({ versionId: '1', lastUpdated: NOW.toISOString() });
  });

  it('fails the whole Bundle with 412 when ifNoneExist matches more than one, storing nothing', () => {
    const store = new SandboxStore();
    store.commit([{ resourceType: 'Device', id: 'd1', identifier: [{ system: 'urn:s', value: 'B' }] } as never,
      { resourceType: 'Device', id: 'd2', identifier: [{ system: 'urn:s', value: 'B' }] } as never]);
    const attempt = () => processTransaction(store, tx(device('C', 'urn:uuid:1'), device('B', 'urn:uuid:2')), { now: NOW });
    expect(attempt).toThrow(FhirError);
    try { attempt(); } catch (error) {
      expect([(error as FhirError).status, (error as FhirError).code]).toEqual([412, 'ERR_SANDBOX_MULTIPLE_MATCHES']);
      expect((error as FhirError).outcome.issue[0]?.expression).toEqual(['Bundle.entry[1].request.ifNoneExist']);
    }
    expect(store.all('Device')).toHaveLength(2);
  });

  it('PUT creates then updates under the given id, bumping the version', () => {
    const store = new SandboxStore();
    const put: BundleEntry = { resource: { resourceType: 'Device', status: 'active' }, request: { method: 'PUT', url: 'Device/x1' } };
    expect(processTransaction(store, tx(put), { now: NOW }).entry?.[0]?.response?.status).toBe('201 Created');
    const again = processTransaction(store, tx(put), { now: NOW }).entry?.[0]?.response;
    expect([again?.status, again?.location]).toEqual(['200 OK', 'Device/x1/_history/2']);
  });

  it.each([
    ['identifier=|v', [{ value: 'v' }], true],
    ['identifier=|v', [{ system: 'urn:s', value: 'v' }], false],
    ['identifier=urn:s|', [{ system: 'urn:s', value: 'anything' }], true],
    ['identifier=v', [{ system: 'urn:s', value: 'v' }], true],
    ['identifier=urn:s|v,urn:s|w', [{ system: 'urn:s', value: 'w' }], true],
  ])('token search %s on %j matches: %s', (query, identifier, expected) => {
    const store = new SandboxStore();
    store.commit([{ resourceType: 'Device', id: 'd', identifier } as never]);
    const found = store.search('Device', new Map([[query.split('=')[0]!, [query.slice(query.indexOf('=') + 1)]]]));
    expect(found.length === 1).toBe(expected);
  });
});

describe('FaultQueue', () => {
  it('hands out the first matching fault, counts down times, and leaves non-matching ones queued', () => {
    const queue = new FaultQueue();
    queue.push([{ status: 503, method: 'POST', times: 2 }, { reset: true }]);
    expect(queue.take('GET', '/fhir/Patient')).toMatchObject({ reset: true });
    expect(queue.take('POST', '/fhir')).toMatchObject({ status: 503 });
    expect(queue.list()).toEqual([{ status: 503, method: 'POST', times: 1 }]);
    expect(queue.take('POST', '/fhir')).toMatchObject({ status: 503 });
    expect(queue.take('POST', '/fhir')).toBeUndefined();
  });

  it.each([
    [{ status: 503 }, undefined],
    [{ status: 200 }, 'status must be an integer 400..599'],
    [{}, 'a fault needs exactly one of status, delayMs, hang, reset, partial, dropAfterCommit'],
    [{ hang: false }, 'hang must be true'],
    [{ reset: true, times: 0 }, 'times must be a positive integer'],
    [{ partial: true, colour: 'red' }, "unknown fault field 'colour'"],
  ])('checkFault(%j) → %s', (fault, problem) => {
    expect(checkFault(fault)).toBe(problem);
  });
});

describe('SandboxStore with a data file', () => {
  it('keeps committed resources across a restart, and reset goes back to the samples', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-store-'));
    try {
      const file = join(dir, 'ehr.json');
      processTransaction(new SandboxStore({ dataFile: file }), tx(device('P', 'urn:uuid:1')), { now: NOW });
      const reopened = new SandboxStore({ dataFile: file });
      expect(reopened.all('Device').map((d) => (d as { identifier?: Array<{ value?: string }> }).identifier?.[0]?.value)).toEqual(['P']);
      expect(reopened.read('Patient', 'example')).toBeDefined();
      reopened.reset();
      expect(new SandboxStore({ dataFile: file }).all('Device')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
