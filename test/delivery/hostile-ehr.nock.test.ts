import nock from 'nock';
import { createEhrClient, createTokenSource, fetchBounded, loadOrCreateClientKey, type ClientKey } from '../../src/delivery';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Answers a loopback test server cannot give: an https EHR on a public name whose discovery points the grant at
 * plain http elsewhere, and a redirect to a cloud metadata address. nock stands in for that EHR.
 */
const EHR = 'https://ehr.example.org';
const BASE = `${EHR}/fhir`;

describe('hostile EHR answers (SECURITY-CASES 30, 47)', () => {
  let dir: string;
  let key: ClientKey;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iomt-nock-'));
    key = await loadOrCreateClientKey(dir, 'ES384');
    nock.disableNetConnect();
  });
  afterEach(() => nock.cleanAll());
  afterAll(() => {
    nock.enableNetConnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a discovered token endpoint that is plain http on another host (the grant would travel in clear)', async () => {
    nock(EHR).get('/fhir/.well-known/smart-configuration').reply(200, { token_endpoint: 'http://evil.example/token' });
    const tokens = createTokenSource({ ehrBaseUrl: BASE, clientId: 'c', scopes: 's', key, timeoutMs: 1000 });
    await expect(tokens.get()).rejects.toMatchObject({ code: 'ERR_EHR_DISCOVERY', kind: 'retry' });
  });

  it('does not follow a redirect to another host, and never requests a URL outside the base', async () => {
    const scope = nock(EHR).post('/fhir').reply(307, '', { location: 'http://169.254.169.254/latest/meta-data' });
    const client = createEhrClient({ baseUrl: BASE, tokens: { get: async () => 't', invalidate: () => undefined }, timeoutMs: 1000, maxResponseBytes: 1024 });
    await expect(client.send('transaction', 'POST', '', {})).rejects.toMatchObject({ code: 'ERR_EHR_REDIRECT', details: { status: 307 } });
    expect(scope.isDone()).toBe(true);
    await expect(client.send('patient', 'GET', 'https://evil.example/fhir/Patient?x')).rejects.toMatchObject({ code: 'ERR_EHR_URL_OUTSIDE_BASE' });
  });

  it('cuts an oversized answer off instead of buffering it', async () => {
    nock(EHR).post('/fhir').reply(200, 'x'.repeat(4096));
    await expect(fetchBounded(`${BASE}`, { method: 'POST' }, { timeoutMs: 1000, maxBytes: 1024 })).rejects.toMatchObject({ code: 'ERR_EHR_RESPONSE_TOO_LARGE', kind: 'retry' });
    nock(EHR).post('/fhir').reply(200, 'x', { 'content-length': String(10 ** 9) });
    await expect(fetchBounded(`${BASE}`, { method: 'POST' }, { timeoutMs: 1000, maxBytes: 1024 })).rejects.toMatchObject({ code: 'ERR_EHR_RESPONSE_TOO_LARGE' });
  });
});
