import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Observation, Resource } from 'fhir/r4';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { signDeviceToken } from '../../src/ingest';
import { bridgeEnv, killLeftovers, runCli, startServe, type ServedBridge } from './support/bridge-process';
import { examplesOf, expectedFor, FAMILIES, ndjson, withoutServerMeta, type Example, type Family } from './support/families';
import { ExpectedState } from './support/expected-state';

// The spine, end to end, as a user runs it: the real CLI registers devices, the real `serve` process listens on
// a free port over a temporary data folder, readings go over HTTP signed by freshly generated device keys, and
// everything is read back through the secured FHIR API — then again after a restart. dist/ must be built.

const FORMS = ['single', 'array', 'ndjson'] as const;
type Form = (typeof FORMS)[number];

interface E2eDevice { id: string; family: Family; form: Form; patient: string; privateJwk: JWK }

const dataDir = mkdtempSync(join(tmpdir(), 'iomt-e2e-'));
const examples = new Map<Family, Example[]>(FAMILIES.map((f) => [f, examplesOf(f)]));
const devices: E2eDevice[] = FAMILIES.flatMap((family, i) =>
  FORMS.map((form, j) => ({ id: `e2e-${family}-${j + 1}`, family, form, patient: `Patient/e2e-p${i}`, privateJwk: {} })));
const state = new ExpectedState();
const secrets: string[] = []; // every token and private key used: none may appear in the logs
let bridge: ServedBridge | undefined;
let accessToken = '';
const served = new Map<string, Resource>(); // every resource as read before the restart, meta included

async function ingest(device: E2eDevice, body: string, contentType: string, token?: string) {
  const jwt = token ?? await signDeviceToken({ privateJwk: device.privateJwk, deviceId: device.id, audience: `${bridge!.publicUrl}/ingest`, body });
  secrets.push(jwt);
  const response = await fetch(`${bridge!.url}/ingest`, {
    method: 'POST', body, headers: { authorization: `Bearer ${jwt}`, 'content-type': contentType },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, jwt };
}

async function fhirGet<T = Resource>(path: string, token: string | undefined = accessToken) {
  const response = await fetch(`${bridge!.url}/fhir/${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

/** A search with every page, following `next` links (which name the public URL; requests go to the socket). */
async function searchAll(path: string): Promise<{ total: number; ids: string[] }> {
  const ids: string[] = [];
  let next: string | undefined = path;
  let total = -1;
  while (next !== undefined) {
    const page: { status: number; body: Bundle } = await fhirGet<Bundle>(next);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    total = page.body.total ?? -1;
    ids.push(...(page.body.entry ?? []).map((e) => e.resource?.id ?? ''));
    next = page.body.link?.find((l) => l.relation === 'next')?.url.slice(`${bridge!.publicUrl}/fhir/`.length);
  }
  return { total, ids: ids.sort() };
}

async function cliToken(scope: string): Promise<string> {
  const result = await runCli(['token', '--scope', scope], bridgeEnv({ IOMT_DATA_DIR: dataDir, IOMT_PORT: String(bridge!.port) }));
  expect(result).toMatchObject({ code: 0, stderr: '' });
  const token = result.stdout.trim();
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  secrets.push(token);
  return token;
}

afterAll(async () => {
  killLeftovers(); // only finds a live process when a test failed before the orderly stop
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the spine, end to end over real sockets', () => {
  it('registers each device with the CLI, from a freshly generated ES256 public key', async () => {
    for (const device of devices) {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      device.privateJwk = await exportJWK(privateKey);
      secrets.push(String(device.privateJwk.d));
      const jwkFile = join(dataDir, `${device.id}.pub.json`);
      writeFileSync(jwkFile, JSON.stringify(await exportJWK(publicKey)));
      const result = await runCli(['devices', 'add', '--id', device.id, '--jwk', jwkFile, '--patient', device.patient], bridgeEnv({ IOMT_DATA_DIR: dataDir }));
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toMatchObject({ id: device.id, patient: device.patient });
    }
    const listed = await runCli(['devices', 'list'], bridgeEnv({ IOMT_DATA_DIR: dataDir }));
    expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((d) => d.id).sort()).toEqual(devices.map((d) => d.id).sort());
  });

  it('starts `serve` on a free port and logs where it listens', async () => {
    bridge = await startServe(dataDir);
    expect(bridge.port).toBeGreaterThan(0);
    expect(bridge.publicUrl).toBe(`http://localhost:${bridge.port}`);
  });

  it.each(devices.map((d) => [d.family, d.form, d]))('ingests the %s examples sent as %s', async (family, form, device) => {
    const mine = examples.get(family)!;
    const produced = mine.map((e) => expectedFor(family, e, device.id, device.patient));
    const requests = form === 'single'
      ? mine.map((e, i) => ({ body: e.text, type: 'application/json', items: [produced[i]!] }))
      : [{ body: form === 'array' ? JSON.stringify(mine.map((e) => e.payload)) : ndjson(mine.map((e) => e.payload)),
        type: form === 'array' ? 'application/json' : 'application/x-ndjson', items: produced }];
    for (const request of requests) {
      const response = await ingest(device, request.body, request.type);
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({ status: 'accepted', ...state.apply(request.items) });
    }
  });

  it('acknowledges a resent reading and stores it once; an exact replay is acknowledged and not processed', async () => {
    for (const device of devices.filter((d) => d.form === 'single')) {
      const last = examples.get(device.family)!.at(-1)!;
      const again = await ingest(device, last.text, 'application/json');
      expect(again.status).toBe(202);
      expect(again.body).toMatchObject({ status: 'accepted', ...state.apply([expectedFor(device.family, last, device.id, device.patient)]) });
      expect(again.body.resources).toMatchObject({ written: 0 });
      const replay = await ingest(device, last.text, 'application/json', again.jwt);
      expect(replay).toMatchObject({ status: 202, body: { status: 'replayed', items: { received: 0 } } });
    }
  });

  it('refuses the FHIR API without a token (401, WWW-Authenticate, OperationOutcome)', async () => {
    const response = await fhirGet('Observation', undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(response.body).toMatchObject({ resourceType: 'OperationOutcome' });
  });

  it('reads every Device and Observation back by id, equal to the mappings\' expected output', async () => {
    accessToken = await cliToken('system/*.rs');
    const entries = state.entries();
    expect(entries.filter(([ref]) => ref.startsWith('Device/'))).toHaveLength(devices.length);
    for (const [reference, { resource, versions }] of entries) {
      const read = await fhirGet(reference);
      expect(read.status).toBe(200);
      served.set(reference, read.body);
      expect(read.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
      expect(withoutServerMeta(read.body)).toEqual(resource);
      expect(read.body.meta).toMatchObject({ versionId: String(versions), lastUpdated: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/) });
    }
  });

  it('finds Observations by patient, code and device, and Devices by patient (every page)', async () => {
    const patients = [...new Set(devices.map((d) => d.patient))];
    for (const patient of patients) {
      const want = state.observationIds((o) => o.subject?.reference === patient);
      expect(await searchAll(`Observation?patient=${encodeURIComponent(patient)}&_count=5`)).toEqual({ total: want.length, ids: want });
      const wantDevices = state.deviceIds((d) => d.patient?.reference === patient);
      expect(await searchAll(`Device?patient=${encodeURIComponent(patient)}`)).toEqual({ total: wantDevices.length, ids: wantDevices });
    }
    const codes = new Set(state.entries().flatMap(([, v]) => codingOf(v.resource)));
    // LOINC codes of the four families plus their IEEE 11073 MDC codings (issue 3).
    expect([...codes].map((c) => c.split('|')[1]).sort()).toEqual(['131329', '147842', '149530', '149546', '150020', '150364', '150456', '2708-6', '59408-5', '8310-5', '85354-9', '8867-4']);
    for (const token of codes) {
      const want = state.observationIds((o) => codingOf(o).includes(token));
      expect(await searchAll(`Observation?code=${encodeURIComponent(token)}`)).toEqual({ total: want.length, ids: want });
    }
    for (const device of devices) {
      const want = state.observationIds((o) => o.device?.reference === `Device/${device.id}`);
      expect(want.length).toBeGreaterThan(0);
      expect(await searchAll(`Observation?device=Device/${device.id}`)).toEqual({ total: want.length, ids: want });
    }
  });

  it('stops on SIGTERM with exit code 0, having logged no token or key', async () => {
    const stopping = bridge!;
    expect(await stopping.stop()).toBe(0);
    const logs = stopping.logLines.join('\n');
    expect(logs).toContain('"msg":"stopping"');
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });

  it('restarts on the same data folder with every resource still there, unchanged', async () => {
    expect(served.size).toBe(state.entries().length);
    bridge = await startServe(dataDir);
    accessToken = await cliToken('system/Observation.read system/Device.read');
    for (const [reference, stored] of served) expect((await fhirGet(reference)).body).toEqual(stored);
    const all = state.observationIds(() => true);
    expect(await searchAll('Observation?_count=1000')).toEqual({ total: all.length, ids: all });
    expect(await bridge.stop()).toBe(0);
  });
});

/** `system|code` tokens of an Observation's codes (for `code=` searches). */
function codingOf(resource: Resource): string[] {
  if (resource.resourceType !== 'Observation') return [];
  return ((resource as Observation).code.coding ?? []).map((c) => `${c.system}|${c.code}`);
}

