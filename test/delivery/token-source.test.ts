import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEhrClient, createTokenSource, loadOrCreateClientKey, type ClientAssertionAlg, type ClientKey, type TokenSource } from '../../src/delivery';
import { startFaultEhr, type FaultEhr } from '../support/fault-ehr';

const CLIENT = 'bridge-client';

describe('SMART backend services token source (real HTTP token endpoint)', () => {
  let dir: string;
  let ehr: FaultEhr;
  let key: ClientKey;
  const clock = { t: Date.parse('2024-06-01T10:00:00Z') };
  const source = (extra: Partial<Parameters<typeof createTokenSource>[0]> = {}): TokenSource =>
    createTokenSource({ ehrBaseUrl: ehr.baseUrl, clientId: CLIENT, scopes: 'system/Observation.cu', key, timeoutMs: 2000, now: () => clock.t, ...extra });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iomt-token-'));
    key = await loadOrCreateClientKey(dir, 'ES384');
  });
  beforeEach(async () => {
    ehr = await startFaultEhr({ clientId: CLIENT, jwks: { keys: [key.publicJwk] }, tokenLifetimeS: 600 });
    clock.t = Date.now(); // the EHR verifies assertions on its real clock
  });
  afterEach(() => ehr.close());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('discovers the token endpoint and signs an assertion with iss = sub = client id, aud = token URL, exp ≤ 5 min, jti, iat, kid', async () => {
    const tokens = source();
    expect(await tokens.get()).toBe(ehr.tokensIssued[0]);
    const [{ header, claims }] = ehr.assertions as [FaultEhr['assertions'][number]];
    expect(header).toMatchObject({ alg: 'ES384', kid: key.kid });
    expect(claims).toMatchObject({ iss: CLIENT, sub: CLIENT, aud: ehr.tokenUrl, iat: Math.floor(clock.t / 1000) });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeLessThanOrEqual(300);
    expect(typeof claims.jti).toBe('string');
  });

  it.each<ClientAssertionAlg>(['ES384', 'RS384'])('keys for %s are generated once, 0600, and reused', async (alg) => {
    const first = await loadOrCreateClientKey(dir, alg);
    const again = await loadOrCreateClientKey(dir, alg);
    expect(again.kid).toBe(first.kid);
    expect(first.publicJwk).toMatchObject({ alg, use: 'sig', kid: first.kid });
    expect(first.publicJwk.d).toBeUndefined();
    expect(statSync(join(dir, 'keys', `ehr-client-${alg.toLowerCase()}.private.jwk.json`)).mode & 0o777).toBe(0o600);
  });

  it('reuses the cached token, with one request in flight for concurrent callers', async () => {
    const tokens = source();
    const all = await Promise.all([tokens.get(), tokens.get(), tokens.get()]);
    expect(new Set(all).size).toBe(1);
    expect(await tokens.get()).toBe(all[0]);
    expect(ehr.counts.token).toBe(1);
    const jtis = new Set(ehr.assertions.map((a) => a.claims.jti));
    expect(jtis.size).toBe(ehr.assertions.length);
  });

  it('refreshes shortly before expiry, not after', async () => {
    const tokens = source();
    const first = await tokens.get();
    clock.t += 539_000; // 600 s lifetime, refreshed 60 s before it ends
    expect(await tokens.get()).toBe(first);
    clock.t += 1000;
    const second = await tokens.get();
    expect(second).not.toBe(first);
    expect(ehr.counts.token).toBe(2);
  });

  it('gets one fresh token on a 401 and retries the request once', async () => {
    const tokens = source();
    const client = createEhrClient({ baseUrl: ehr.baseUrl, tokens, timeoutMs: 2000, maxResponseBytes: 1 << 20, now: () => clock.t });
    ehr.addPatient('p1');
    expect((await client.send('patient', 'GET', 'Patient/p1')).status).toBe(200);
    ehr.revokeAll();
    expect((await client.send('patient', 'GET', 'Patient/p1')).status).toBe(200);
    expect(ehr.counts.token).toBe(2);
    ehr.faults.push({ status: 401, path: '/fhir/Patient', times: 2 });
    await expect(client.send('patient', 'GET', 'Patient/p1')).rejects.toMatchObject({ code: 'ERR_EHR_UNAUTHORIZED', kind: 'retry' });
    expect(ehr.counts.token).toBe(3);
  });

  it('reports a refused client (key not registered) as a retryable ERR_EHR_TOKEN: readings wait, none is dead-lettered', async () => {
    const other = await loadOrCreateClientKey(mkdtempSync(join(dir, 'other-')), 'ES384');
    await expect(source({ key: other }).get()).rejects.toMatchObject({ code: 'ERR_EHR_TOKEN', kind: 'retry' });
  });
});
