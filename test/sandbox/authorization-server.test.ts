import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import { startSandboxProcess, type SandboxProcess } from './support/sandbox-process';
import { authorize, tokenRequest, type AuthorizeRequest } from './support/smart-flow';

// The sandbox runs as a child process from dist/ (Jest cannot load the ESM-only oidc-provider): `npm run build` first.
const REDIRECT = 'http://127.0.0.1:1/app/callback';

let sb: SandboxProcess;
let backendKey: CryptoKey;
let backendKid: string;

beforeAll(async () => {
  const pair = await generateKeyPair('ES384');
  backendKey = pair.privateKey;
  backendKid = 'backend-1';
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: backendKid, alg: 'ES384', use: 'sig' };
  sb = await startSandboxProcess(['--auto-approve', '--app-redirect-uri', REDIRECT, '--backend-jwks-json', JSON.stringify({ keys: [jwk] })]);
});

afterAll(async () => {
  expect(await sb.stop()).toBe(0);
});

const appRequest = (over: Partial<AuthorizeRequest> = {}): AuthorizeRequest => ({
  authorizeUrl: sb.authorizeUrl, clientId: sb.clients.app, redirectUri: REDIRECT, aud: sb.fhirBaseUrl,
  scope: 'openid fhirUser launch/patient offline_access patient/*.rs', ...over,
});

async function codeFlow(over: Partial<AuthorizeRequest> = {}): Promise<Record<string, unknown>> {
  const result = await authorize(appRequest(over));
  expect(result.code).toBeDefined();
  const token = await tokenRequest(sb.tokenUrl, {
    grant_type: 'authorization_code', code: result.code!, redirect_uri: REDIRECT, client_id: sb.clients.app, code_verifier: result.verifier,
  });
  expect(token.status).toBe(200);
  return token.body;
}

describe('discovery', () => {
  it('serves the SMART configuration for the FHIR base, CORS-open, S256 only', async () => {
    const response = await fetch(sb.smartConfigurationUrl, { headers: { origin: 'http://elsewhere.example' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const config = (await response.json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      issuer: sb.issuer, token_endpoint: sb.tokenUrl, authorization_endpoint: sb.authorizeUrl, jwks_uri: sb.jwksUrl,
      introspection_endpoint: sb.introspectionUrl, code_challenge_methods_supported: ['S256'],
    });
    expect(config.capabilities).toEqual(expect.arrayContaining(['launch-ehr', 'launch-standalone', 'client-public', 'client-confidential-asymmetric', 'permission-v2']));
    expect(config.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'client_credentials', 'refresh_token']));
  });
});

describe('standalone launch with PKCE', () => {
  it('issues a JWT access token bound to the FHIR base with patient, fhirUser and scope, plus refresh and id tokens', async () => {
    const body = await codeFlow({ extra: { sandbox_patient: 'pat-2' } });
    expect(body).toMatchObject({ token_type: 'Bearer', patient: 'pat-2', need_patient_banner: true });
    expect(String(body.scope).split(' ')).toEqual(expect.arrayContaining(['openid', 'fhirUser', 'launch/patient', 'offline_access', 'patient/*.rs']));
    expect(typeof body.refresh_token).toBe('string');
    const jwks = createRemoteJWKSet(new URL(sb.jwksUrl));
    const { payload, protectedHeader } = await jwtVerify(String(body.access_token), jwks, { issuer: sb.issuer, audience: sb.fhirBaseUrl });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      client_id: sb.clients.app, scope: 'patient/*.rs', patient: 'pat-2', fhirUser: `${sb.fhirBaseUrl}/Practitioner/prac-1`, sub: 'prac-1',
    });
    const idToken = await jwtVerify(String(body.id_token), jwks, { issuer: sb.issuer, audience: sb.clients.app });
    expect(idToken.payload.fhirUser).toBe(`${sb.fhirBaseUrl}/Practitioner/prac-1`);
  });

  it('uses the default patient when the request names none', async () => {
    expect((await codeFlow()).patient).toBe('example');
  });

  it('issues tokens for the bridge FHIR base when aud names it', async () => {
    const body = await codeFlow({ aud: sb.bridgeFhirBaseUrl });
    const { payload } = await jwtVerify(String(body.access_token), createRemoteJWKSet(new URL(sb.jwksUrl)), { audience: sb.bridgeFhirBaseUrl });
    expect(payload.patient).toBe('example');
  });

  it.each([
    // RFC 8707 §2: a resource (here SMART's aud) the server does not serve is invalid_target.
    ['an unknown aud', { aud: 'http://attacker.example/fhir' }, 'invalid_target'],
    ['no aud', { aud: undefined }, 'invalid_request'],
    ['no PKCE challenge', { extra: { code_challenge: undefined, code_challenge_method: undefined } }, 'invalid_request'],
    ['a plain PKCE challenge', { extra: { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' } }, 'invalid_request'],
    ['an unknown launch', { launch: 'not-a-launch', scope: 'launch patient/*.rs' }, 'invalid_request'],
    ['the launch scope without a launch', { scope: 'launch patient/*.rs' }, 'invalid_request'],
    ['an unknown patient', { extra: { sandbox_patient: 'nobody' } }, 'invalid_request'],
  ])('answers an error redirect for %s', async (_name, over, error) => {
    const result = await authorize(appRequest(over as Partial<AuthorizeRequest>));
    expect(result.code).toBeUndefined();
    expect(result.redirect.searchParams.get('error')).toBe(error);
  });

  it('refuses a code with the wrong verifier, and a code used twice', async () => {
    const result = await authorize(appRequest());
    const exchange = (verifier: string) => tokenRequest(sb.tokenUrl, {
      grant_type: 'authorization_code', code: result.code!, redirect_uri: REDIRECT, client_id: sb.clients.app, code_verifier: verifier,
    });
    expect((await exchange('x'.repeat(43))).body.error).toBe('invalid_grant');
    expect((await exchange(result.verifier)).status).toBe(200);
    expect((await exchange(result.verifier)).body.error).toBe('invalid_grant');
  });

  it('refreshes, keeping the launch context (public client sends client_id)', async () => {
    const first = await codeFlow({ extra: { sandbox_patient: 'pat-3' } });
    const refreshed = await tokenRequest(sb.tokenUrl, { grant_type: 'refresh_token', refresh_token: String(first.refresh_token), client_id: sb.clients.app });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ patient: 'pat-3', token_type: 'Bearer' });
    expect(refreshed.body.access_token).not.toBe(first.access_token);
    const { payload } = await jwtVerify(String(refreshed.body.access_token), createRemoteJWKSet(new URL(sb.jwksUrl)), { audience: sb.fhirBaseUrl });
    expect(payload.patient).toBe('pat-3');
  });
});

describe('EHR launch', () => {
  it('redirects the browser to the app with iss and launch', async () => {
    const response = await fetch(`${sb.launchUrl}?patient=pat-3&app=${encodeURIComponent('http://127.0.0.1:1/launch')}`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('http://127.0.0.1:1/launch');
    expect(location.searchParams.get('iss')).toBe(sb.fhirBaseUrl);
    expect(location.searchParams.get('launch')).toMatch(/^[\w-]{20,}$/);
  });

  it('puts the launch patient and encounter into the token response and the token', async () => {
    const created = await fetch(`${sb.ehrUrl}/launches`, { method: 'POST', body: JSON.stringify({ patient: 'example', encounter: 'enc-1' }) });
    expect(created.status).toBe(201);
    const { launch, iss } = (await created.json()) as { launch: string; iss: string };
    expect(iss).toBe(sb.fhirBaseUrl);
    const body = await codeFlow({ launch, scope: 'launch openid fhirUser patient/Observation.rs' });
    expect(body).toMatchObject({ patient: 'example', encounter: 'enc-1' });
    const { payload } = await jwtVerify(String(body.access_token), createRemoteJWKSet(new URL(sb.jwksUrl)), { audience: sb.fhirBaseUrl });
    expect(payload).toMatchObject({ patient: 'example', encounter: 'enc-1', scope: 'patient/Observation.rs' });
  });
});

describe('backend services (client_credentials + private_key_jwt)', () => {
  const assertion = (over: { aud?: string; jti?: string; key?: CryptoKey } = {}) => new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', kid: backendKid, typ: 'JWT' })
    .setIssuer(sb.clients.backend).setSubject(sb.clients.backend).setAudience(over.aud ?? sb.tokenUrl)
    .setJti(over.jti ?? randomUUID()).setIssuedAt().setExpirationTime('4m')
    .sign(over.key ?? backendKey);
  const request = async (jwt: string, scope = 'system/Observation.cu system/Device.cu system/Patient.rs') => tokenRequest(sb.tokenUrl, {
    grant_type: 'client_credentials', scope,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt,
  });

  it('issues a system token for the sandbox FHIR base', async () => {
    const { status, body } = await request(await assertion());
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'system/Observation.cu system/Device.cu system/Patient.rs' });
    expect(body.refresh_token).toBeUndefined();
    const { payload } = await jwtVerify(String(body.access_token), createRemoteJWKSet(new URL(sb.jwksUrl)), { issuer: sb.issuer, audience: sb.fhirBaseUrl });
    expect(payload).toMatchObject({ client_id: sb.clients.backend, sub: sb.clients.backend });
    expect(decodeProtectedHeader(String(body.access_token)).typ).toBe('at+jwt');
  });

  it('refuses a replayed jti, a foreign key and a wrong audience', async () => {
    const jti = randomUUID();
    expect((await request(await assertion({ jti }))).status).toBe(200);
    const other = (await generateKeyPair('ES384')).privateKey;
    for (const jwt of [await assertion({ jti }), await assertion({ key: other }), await assertion({ aud: 'http://elsewhere.example/token' })]) {
      const { status, body } = await request(jwt);
      expect([status, body.error]).toEqual([401, 'invalid_client']);
    }
  });

  it('drops patient/ and user/ scopes a backend service cannot hold', async () => {
    const { body } = await request(await assertion(), 'system/Observation.rs patient/*.read');
    expect(body.scope).toBe('system/Observation.rs');
  });
});
