import type { Bundle, Device, Observation } from 'fhir/r4';
import { startSandboxProcess, type SandboxProcess } from './support/sandbox-process';
import { authorize, backendToken, makeBackendKey, tokenRequest } from './support/smart-flow';

// Child process from dist/ (`npm run build` first): Jest cannot load oidc-provider.
const REDIRECT = 'http://127.0.0.1:1/app/callback';
const MRN = 'urn:iomt-bridge:sandbox:mrn';
const DEVICE_SYSTEM = 'urn:iomt-bridge:device';
const OBS_SYSTEM = 'urn:iomt-bridge:observation';

let sb: SandboxProcess;
let systemToken: string;

beforeAll(async () => {
  const key = await makeBackendKey('RS384');
  sb = await startSandboxProcess(['--auto-approve', '--faults', '--app-redirect-uri', REDIRECT, '--backend-jwks-json', JSON.stringify(key.jwks)]);
  systemToken = await backendToken(key, sb.clients.backend, sb.tokenUrl, 'system/*.cruds');
});

afterAll(async () => {
  expect(await sb.stop()).toBe(0);
});

beforeEach(async () => {
  expect((await fetch(`${sb.controlUrl}/reset`, { method: 'POST' })).status).toBe(200);
});

const fhir = (path: string, init: RequestInit & { token?: string } = {}) => fetch(`${sb.fhirBaseUrl}${path}`, {
  ...init,
  headers: { accept: 'application/fhir+json', 'content-type': 'application/fhir+json', ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }) },
});

/** A Device and its Observation, created conditionally on their identifiers, the Observation pointing at the Device by urn:uuid. */
function pushBundle(serial: string, messageId: string): Bundle {
  const deviceUrn = 'urn:uuid:0b0d7a43-38c1-4a36-9a2b-2d1f7cf00001';
  const device: Device = { resourceType: 'Device', identifier: [{ system: DEVICE_SYSTEM, value: serial }], patient: { reference: 'Patient/example' } };
  const observation: Observation = {
    resourceType: 'Observation', status: 'final', identifier: [{ system: OBS_SYSTEM, value: messageId }],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: 'Patient/example' },
    device: { reference: deviceUrn }, valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
  return {
    resourceType: 'Bundle', type: 'transaction',
    entry: [
      { fullUrl: deviceUrn, resource: device, request: { method: 'POST', url: 'Device', ifNoneExist: `identifier=${DEVICE_SYSTEM}|${serial}` } },
      { fullUrl: 'urn:uuid:0b0d7a43-38c1-4a36-9a2b-2d1f7cf00002', resource: observation, request: { method: 'POST', url: 'Observation', ifNoneExist: `identifier=${OBS_SYSTEM}|${messageId}` } },
    ],
  };
}

const post = (bundle: Bundle, token = systemToken) => fhir('', { method: 'POST', body: JSON.stringify(bundle), token });

describe('authentication', () => {
  it.each([
    ['no token', undefined],
    ['a malformed token', 'not a token'],
    ['a forged JWT', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'],
    ['an unknown opaque token', 'abcdefghijklmnop'],
  ])('answers 401 invalid_token for %s', async (_name, token) => {
    const response = await fhir('/Patient/example', { token });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(((await response.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  it('refuses a token issued for the bridge FHIR base (wrong audience)', async () => {
    const { code, verifier } = await authorize({
      authorizeUrl: sb.authorizeUrl, clientId: sb.clients.app, redirectUri: REDIRECT, aud: sb.bridgeFhirBaseUrl, scope: 'launch/patient patient/*.rs',
    });
    const token = await tokenRequest(sb.tokenUrl, { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: REDIRECT, client_id: sb.clients.app });
    expect((await fhir('/Patient/example', { token: String(token.body.access_token) })).status).toBe(401);
  });

  it('serves discovery and metadata without a token', async () => {
    expect((await fhir('/metadata')).status).toBe(200);
    expect((await fhir('/.well-known/smart-configuration')).status).toBe(200);
  });
});

describe('read and search', () => {
  it('finds a patient by identifier', async () => {
    const response = await fhir(`/Patient?identifier=${encodeURIComponent(`${MRN}|MRN-0002`)}`, { token: systemToken });
    const bundle = (await response.json()) as Bundle;
    expect([response.status, bundle.type, bundle.total, bundle.entry?.[0]?.resource?.id]).toEqual([200, 'searchset', 1, 'pat-2']);
  });

  it('confines a patient-scoped token to its patient (others answer 404) and refuses writes (403)', async () => {
    const { code, verifier } = await authorize({
      authorizeUrl: sb.authorizeUrl, clientId: sb.clients.app, redirectUri: REDIRECT, aud: sb.fhirBaseUrl,
      scope: 'launch/patient patient/*.rs', extra: { sandbox_patient: 'pat-2' },
    });
    const body = (await tokenRequest(sb.tokenUrl, { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: REDIRECT, client_id: sb.clients.app })).body;
    const token = String(body.access_token);
    expect((await fhir('/Patient/pat-2', { token })).status).toBe(200);
    expect((await fhir('/Patient/example', { token })).status).toBe(404);
    const all = (await (await fhir('/Patient', { token })).json()) as Bundle;
    expect(all.entry?.map((e) => e.resource?.id)).toEqual(['pat-2']);
    expect((await post(pushBundle('SN-1', 'm-1'), token)).status).toBe(403);
  });

  it('refuses a search parameter it does not support rather than ignoring it', async () => {
    expect((await fhir('/Observation?code=8867-4', { token: systemToken })).status).toBe(400);
  });
});

describe('transaction with conditional create', () => {
  it('creates once: the same Bundle twice makes one Device and one Observation, and answers 201 then 200', async () => {
    const first = (await (await post(pushBundle('SN-1', 'm-1'))).json()) as Bundle;
    expect(first.type).toBe('transaction-response');
    expect(first.entry?.map((e) => e.response?.status)).toEqual(['201 Created', '201 Created']);
    const second = (await (await post(pushBundle('SN-1', 'm-1'))).json()) as Bundle;
    expect(second.entry?.map((e) => e.response?.status)).toEqual(['200 OK', '200 OK']);
    expect(second.entry?.map((e) => e.response?.location)).toEqual(first.entry?.map((e) => e.response?.location));

    const search = (await (await fhir(`/Observation?identifier=${encodeURIComponent(`${OBS_SYSTEM}|m-1`)}`, { token: systemToken })).json()) as Bundle;
    expect(search.total).toBe(1);
    const deviceId = first.entry?.[0]?.resource?.id;
    expect((search.entry?.[0]?.resource as Observation).device?.reference).toBe(`Device/${deviceId}`);
    const devices = (await (await fhir(`/Device?identifier=${encodeURIComponent(`${DEVICE_SYSTEM}|SN-1`)}`, { token: systemToken })).json()) as Bundle;
    expect(devices.total).toBe(1);
    const byPatient = (await (await fhir('/Observation?patient=example', { token: systemToken })).json()) as Bundle;
    expect(byPatient.total).toBe(1);
  });

  it('reuses the existing Device for a new reading', async () => {
    const first = (await (await post(pushBundle('SN-2', 'm-1'))).json()) as Bundle;
    const second = (await (await post(pushBundle('SN-2', 'm-2'))).json()) as Bundle;
    expect(second.entry?.map((e) => e.response?.status)).toEqual(['200 OK', '201 Created']);
    expect((second.entry?.[1]?.resource as Observation).device?.reference).toBe(`Device/${first.entry?.[0]?.resource?.id}`);
  });

  it.each([
    ['not a Bundle', { resourceType: 'Patient' }, 'Bundle'],
    ['a batch', { resourceType: 'Bundle', type: 'batch', entry: [] }, 'Bundle.type'],
    ['an entry without request', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Device' } }] }, 'Bundle.entry[0].request'],
  ])('answers 400 with the element for %s', async (_name, body, expression) => {
    const response = await fhir('', { method: 'POST', body: JSON.stringify(body), token: systemToken });
    expect(response.status).toBe(400);
    const outcome = (await response.json()) as { issue: Array<{ expression?: string[] }> };
    expect(outcome.issue[0]?.expression).toEqual([expression]);
  });
});

describe('fault injection', () => {
  const queue = async (...faults: unknown[]) => {
    const response = await fetch(`${sb.controlUrl}/faults`, { method: 'POST', body: JSON.stringify({ faults }) });
    expect(response.status).toBe(200);
  };
  const observations = async (): Promise<number> =>
    ((await (await fetch(`${sb.controlUrl}/resources/Observation`)).json()) as { resources: unknown[] }).resources.length;

  it('answers the queued statuses in order, with Retry-After, and then recovers', async () => {
    await queue({ status: 503, retryAfter: 2 }, { status: 429, retryAfter: '1', times: 2 }, { status: 500 });
    const seen: Array<[number, string | null]> = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await post(pushBundle('SN-3', 'm-1'));
      seen.push([response.status, response.headers.get('retry-after')]);
    }
    expect(seen).toEqual([[503, '2'], [429, '1'], [429, '1'], [500, null], [200, null]]);
    expect(await observations()).toBe(1);
  });

  it('resets the connection without processing', async () => {
    await queue({ reset: true });
    await expect(post(pushBundle('SN-4', 'm-1'))).rejects.toThrow();
    expect(await observations()).toBe(0);
  });

  it('cuts the response half-way after committing', async () => {
    await queue({ partial: true });
    const response = await post(pushBundle('SN-5', 'm-1'));
    await expect(response.text()).rejects.toThrow();
    expect(await observations()).toBe(1);
  });

  it('accepts, commits and drops the connection without answering; the retry finds the resource', async () => {
    await queue({ dropAfterCommit: true });
    await expect(post(pushBundle('SN-6', 'm-1'))).rejects.toThrow();
    expect(await observations()).toBe(1);
    const retry = (await (await post(pushBundle('SN-6', 'm-1'))).json()) as Bundle;
    expect(retry.entry?.map((e) => e.response?.status)).toEqual(['200 OK', '200 OK']);
  });

  it('hangs until the client gives up, delays then answers, and matches by method and path', async () => {
    await queue({ hang: true, path: '/fhir/Patient' }, { delayMs: 50, method: 'POST' });
    await expect(fhir('/Patient/example', { token: systemToken, signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect((await post(pushBundle('SN-7', 'm-1'))).status).toBe(200);
    const left = (await (await fetch(`${sb.controlUrl}/faults`)).json()) as { faults: unknown[] };
    expect(left.faults).toEqual([]);
  });

  it('refuses a malformed fault', async () => {
    for (const fault of [{ status: 200 }, { reset: true, hang: true }, { explode: true }, { delayMs: -1 }]) {
      const response = await fetch(`${sb.controlUrl}/faults`, { method: 'POST', body: JSON.stringify([fault]) });
      expect(response.status).toBe(400);
    }
  });
});
