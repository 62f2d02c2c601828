import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { example } from '../http/helpers';
import { createTestBridge, type TestBridge } from '../support/test-bridge';
import { idToken, startFakeEhr, type FakeEhr } from './support/fake-ehr';
import { launch as launchWith, signIn as signInWith } from './support/sign-in';

/**
 * The SMART app's launch with server.inject against a small real EHR: PKCE S256 and a random state,
 * the absolute redirect URI, server-side sessions, the iss allow-list (SECURITY-CASES 46), AS errors,
 * token refresh, the patient page and device linking.
 */

const PUBLIC = 'https://bridge.example';
let ehr: FakeEhr;
let noPkce: FakeEhr;
let bridge: TestBridge;
let redirector: Server;
let redirectorHits = 0;
let redirectorUrl: string;

beforeAll(async () => {
  ehr = await startFakeEhr();
  noPkce = await startFakeEhr({ s256: false });
  redirector = createServer((_req, res) => {
    redirectorHits += 1;
    res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/fhir`;
  bridge = await createTestBridge({ IOMT_PUBLIC_URL: PUBLIC, IOMT_APP_EHRS: `${ehr.fhirBaseUrl},${noPkce.fhirBaseUrl}` });
  const oxi = await bridge.addDevice('oxi-a', 'Patient/A');
  expect((await bridge.ingest(oxi, example('pulse-oximeter', 'with-message-id.json'))).statusCode).toBe(202);
  const ecg = await bridge.addDevice('dev-ecg-patch-1', 'Patient/A');
  expect((await bridge.ingest(ecg, example('ecg-patch', 'with-id.json'))).statusCode).toBe(202);
});
afterAll(async () => {
  await bridge.close();
  await Promise.all([ehr.close(), noPkce.close(), new Promise((resolve) => redirector.close(resolve))]);
});

const launch = (query: string, headers: Record<string, string> = {}) => launchWith(bridge, query, headers);
const signIn = (tokenResponse: Record<string, unknown> = {}) => signInWith(bridge, ehr, tokenResponse);

const page = (cookie: string) => bridge.server.inject({ method: 'GET', url: '/app', headers: { cookie } });

describe('EHR launch: authorize request', () => {
  it('redirects to the EHR with PKCE S256, a random state, an absolute redirect_uri (spoofed Host ignored) and aud = iss', async () => {
    const { res, location } = await launch(`iss=${encodeURIComponent(ehr.fhirBaseUrl)}&launch=L-1`, { host: 'attacker.example', 'x-forwarded-host': 'attacker.example' });
    expect(res.statusCode).toBe(302);
    expect(location!.origin + location!.pathname).toBe(ehr.fhirBaseUrl.replace('/fhir', '/authorize'));
    const p = Object.fromEntries(location!.searchParams);
    expect(p).toMatchObject({
      response_type: 'code', client_id: 'iomt-bridge-app', redirect_uri: `${PUBLIC}/app/callback`, aud: ehr.fhirBaseUrl, launch: 'L-1',
      code_challenge_method: 'S256',
    });
    expect(p.scope!.split(' ')).toEqual(expect.arrayContaining(['launch', 'openid', 'fhirUser', 'patient/Observation.rs']));
    expect(p.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await launch(`iss=${encodeURIComponent(ehr.fhirBaseUrl)}&launch=L-1`);
    expect(again.location!.searchParams.get('state')).not.toBe(p.state);
  });

  it('keeps the launch state server-side: the cookie is a small sealed id, HttpOnly, Secure, SameSite=Lax', async () => {
    const { res, location } = await launch(`iss=${encodeURIComponent(ehr.fhirBaseUrl)}&launch=L-1`);
    const [setCookie] = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    expect(setCookie).toMatch(/^iomt-app-session=/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
    expect(setCookie!.length).toBeLessThan(600);
    expect(setCookie).not.toContain(location!.searchParams.get('state'));
  });

  it('a standalone launch asks for launch/patient and sends no launch parameter', async () => {
    const res = await bridge.server.inject({ method: 'GET', url: '/app/launch' });
    const location = new URL(String(res.headers.location));
    expect(location.searchParams.get('launch')).toBeNull();
    expect(location.searchParams.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['launch/patient']));
    expect(location.searchParams.get('scope')!.split(' ')).not.toContain('launch');
    expect(location.searchParams.get('aud')).toBe(ehr.fhirBaseUrl);
  });

  it('refuses an allowed EHR that does not offer S256 (PKCE required) with a clear page', async () => {
    const { res } = await launch(`iss=${encodeURIComponent(noPkce.fhirBaseUrl)}&launch=L-1`);
    expect(res.statusCode).toBe(502);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers.location).toBeUndefined();
  });
});

describe('launch iss allow-list (SECURITY-CASES 46): refused before any request', () => {
  const cases: Array<[string, () => string]> = [
    ['an unknown server', () => 'https://evil.example/fhir'],
    ['a private address', () => 'http://10.0.0.7/fhir'],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data'],
    ['a redirecting host', () => redirectorUrl],
    ['an allowed base with a path suffix', () => `${ehr.fhirBaseUrl}/../fhir2`],
    ['an allowed base with a query', () => `${ehr.fhirBaseUrl}?x=1`],
    ['an allowed base with user info', () => ehr.fhirBaseUrl.replace('http://', 'http://user@')],
    ['a look-alike host', () => ehr.fhirBaseUrl.replace('127.0.0.1', '127.0.0.1.nip.io')],
    ['no iss at all', () => ''],
  ];
  it.each(cases)('%s', async (_label, iss) => {
    const before = { ehr: ehr.hits.length, redirector: redirectorHits };
    const { res } = await launch(`iss=${encodeURIComponent(iss())}&launch=L-1`);
    expect(res.statusCode).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(bridge.lastErrorCode()).toBe('ERR_APP_ISS_REFUSED');
    expect({ ehr: ehr.hits.length, redirector: redirectorHits }).toEqual(before);
  });

  it('refuses a malformed launch parameter', async () => {
    const { res } = await launch(`iss=${encodeURIComponent(ehr.fhirBaseUrl)}&launch=${encodeURIComponent('a b')}`);
    expect(res.statusCode).toBe(400);
  });
});

describe('redirect route', () => {
  it('exchanges the code with the PKCE verifier and lands on the patient page', async () => {
    const cookie = await signIn();
    const exchange = ehr.tokenRequests.filter((r) => r.grant_type === 'authorization_code').at(-1)!;
    expect(exchange).toMatchObject({ client_id: 'iomt-bridge-app', redirect_uri: `${PUBLIC}/app/callback` });
    expect(exchange.code_verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    const res = await page(cookie);
    expect(res.statusCode).toBe(200);
    expect(res.payload).toContain('Ada Rivera');
    // No access token, refresh token, code or PKCE verifier in the logs or the page (SECURITY-CASES 16).
    const written = JSON.stringify(bridge.logs) + res.payload;
    for (const secret of ['at-1', 'rt-1', exchange.code!, exchange.code_verifier!]) expect(written).not.toContain(secret);
  });

  it('refuses a state from another session without calling the token endpoint', async () => {
    const { location } = await launch(`iss=${encodeURIComponent(ehr.fhirBaseUrl)}&launch=L-1`);
    const before = ehr.tokenRequests.length;
    const res = await bridge.server.inject({ method: 'GET', url: `/app/callback?code=x&state=${location!.searchParams.get('state')}` });
    expect(res.statusCode).toBe(401);
    expect(res.payload).toContain('No active launch');
    expect(ehr.tokenRequests.length).toBe(before);
  });

  it('refuses a forged state in this session', async () => {
    const { cookie } = await launch(`iss=${encodeURIComponent(ehr.fhirBaseUrl)}&launch=L-1`);
    const res = await bridge.server.inject({ method: 'GET', url: '/app/callback?code=x&state=forged', headers: { cookie } });
    expect(res.statusCode).toBe(401);
  });

  it('shows an authorization server error on a clear page, escaped', async () => {
    const { cookie, location } = await launch(`iss=${encodeURIComponent(ehr.fhirBaseUrl)}&launch=L-1`);
    const description = encodeURIComponent('The user said <script>alert(1)</script> no');
    const res = await bridge.server.inject({ method: 'GET', url: `/app/callback?error=access_denied&error_description=${description}&state=${location!.searchParams.get('state')}`, headers: { cookie } });
    expect(res.statusCode).toBe(400);
    expect(res.payload).toContain('The EHR did not authorize the app');
    expect(res.payload).toContain('access_denied: The user said &lt;script&gt;alert(1)&lt;/script&gt; no');
    expect(res.payload).not.toContain('<script>alert');
  });

  it('shows a failed token exchange (wrong code) as a 502 page', async () => {
    const { cookie, location } = await launch(`iss=${encodeURIComponent(ehr.fhirBaseUrl)}&launch=L-1`);
    const res = await bridge.server.inject({ method: 'GET', url: `/app/callback?code=never-issued&state=${location!.searchParams.get('state')}`, headers: { cookie } });
    expect(res.statusCode).toBe(502);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });
});

describe('the session', () => {
  it('without a launch, /app asks to launch from the EHR (401)', async () => {
    const res = await page('');
    expect(res.statusCode).toBe(401);
    expect(res.payload).toContain('from the patient’s chart in your EHR');
  });

  it('refreshes a token about to expire, sending client_id (public client)', async () => {
    const cookie = await signIn({ expires_in: 5 });
    const before = ehr.tokenRequests.length;
    expect((await page(cookie)).statusCode).toBe(200);
    const refresh = ehr.tokenRequests.slice(before).filter((r) => r.grant_type === 'refresh_token');
    expect(refresh).toEqual([expect.objectContaining({ refresh_token: 'rt-1', client_id: 'iomt-bridge-app' })]);
    ehr.tokenResponse.expires_in = 3600;
  });

  it('a failed refresh ends the session with a clear page', async () => {
    const cookie = await signIn({ expires_in: 5 });
    ehr.refreshWorks = false;
    try {
      const res = await page(cookie);
      expect(res.statusCode).toBe(401);
      expect(res.payload).toContain('authorization from the EHR has ended');
    } finally {
      ehr.refreshWorks = true;
      ehr.tokenResponse.expires_in = 3600;
    }
  });

  it('sign out forgets the session', async () => {
    const cookie = await signIn();
    await bridge.server.inject({ method: 'POST', url: '/app/logout', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
    expect((await page(cookie)).statusCode).toBe(401);
  });
});

describe('a non-practitioner user', () => {
  it('sees the page but no link forms, and cannot link', async () => {
    await bridge.addDevice('spare-cuff');
    const cookie = await signIn({ id_token: idToken({ fhirUser: 'Patient/A' }) });
    try {
      const res = await page(cookie);
      expect(res.payload).not.toContain('/link"');
      const csrf = createHash('sha256').update('x').digest('base64url');
      const post = await bridge.server.inject({
        method: 'POST', url: '/app/devices/spare-cuff/link', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `csrf=${csrf}`,
      });
      expect(post.statusCode).toBe(403);
      expect((await bridge.store.getDevice('spare-cuff'))?.patient).toBeUndefined();
    } finally {
      ehr.tokenResponse.id_token = idToken({ fhirUser: 'Practitioner/prac-1', sub: 'prac-1' });
    }
  });
});
