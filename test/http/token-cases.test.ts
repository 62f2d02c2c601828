import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { signDeviceToken } from '../../src/ingest';
import { createTestBridge, type TestBridge } from '../support/test-bridge';
import {
  auditHead, auditSince, example, expectInvalidToken, hmacWithPublicKey, rawJws, signWithHeader, storedCounts,
} from './helpers';

/**
 * SECURITY-CASES 1–11 and 16 against the FHIR API, through the real route, auth plugin and verifier
 * (development issuer, ES256). Cases that need another trusted key are in token-cases-jwks.test.ts.
 */

const NOW_MS = Date.UTC(2025, 0, 15, 10, 0, 0);
const NOW_S = NOW_MS / 1000;
const LEEWAY_S = 60;

let bridge: TestBridge;
let observationId: string;
let attacker: { privateJwk: JWK; publicJwk: JWK };
let keyServer: HttpServer;
let keyServerHits = 0;
let keyServerUrl: string;

beforeAll(async () => {
  bridge = await createTestBridge({ IOMT_CLOCK_TOLERANCE_S: String(LEEWAY_S) }, { now: () => NOW_MS });
  const device = await bridge.addDevice('oxi-a', 'Patient/A');
  const res = await bridge.ingest(device, example('pulse-oximeter', 'with-message-id.json'));
  expect(res.statusCode).toBe(202);
  observationId = (JSON.parse(res.payload).results[0].resources as string[]).find((r) => r.startsWith('Observation/'))!.split('/')[1]!;
  const pair = await generateKeyPair('ES256', { extractable: true });
  attacker = { privateJwk: await exportJWK(pair.privateKey), publicJwk: { ...(await exportJWK(pair.publicKey)), kid: 'attacker' } };
  // SECURITY-CASES 5: a key server the attacker controls; the bridge must never call it.
  keyServer = createServer((_req, res) => {
    keyServerHits += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [attacker.publicJwk] }));
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await bridge.close();
  await new Promise((resolve) => keyServer.close(resolve));
});

/** Access-token claims as the development issuer would write them, with overrides. */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: bridge.config.devIssuerUrl, aud: bridge.config.authAudience, scope: 'system/Observation.rs',
    client_id: 'token-case-client', sub: 'token-case-client', iat: NOW_S, exp: NOW_S + 300, jti: randomUUID(), ...overrides,
  };
}

/** Signed with the trusted development issuer key: only the varied claim or header is wrong. */
function trusted(overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const key = bridge.issuerKey!;
  return signWithHeader(key.privateJwk, { alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...header }, claims(overrides));
}

const publicJwkJson = () => JSON.stringify(bridge.issuerKey!.publicJwk);

type Case = [name: string, code: string, token: () => Promise<string> | string];

const cases: Case[] = [
  ['1 alg none, empty signature', 'ERR_ACCESS_TOKEN_MALFORMED', () => rawJws({ alg: 'none', typ: 'at+jwt' }, claims())],
  ['1 alg none with a signature', 'ERR_ACCESS_TOKEN_ALG', () => rawJws({ alg: 'none' }, claims(), 'AAAA')],
  ['1 alg NoNe', 'ERR_ACCESS_TOKEN_ALG', () => rawJws({ alg: 'NoNe' }, claims(), 'AAAA')],
  ['2 HS256 keyed with our public JWK', 'ERR_ACCESS_TOKEN_ALG', () => hmacWithPublicKey(publicJwkJson(), { kid: bridge.issuerKey!.kid }, claims())],
  ['2 HS256 keyed with our public x coordinate', 'ERR_ACCESS_TOKEN_ALG', () => hmacWithPublicKey(String(bridge.issuerKey!.publicJwk.x), {}, claims())],
  ['4 unknown kid (signed by a stranger)', 'ERR_ACCESS_TOKEN_KID', () => signWithHeader(attacker.privateJwk, { alg: 'ES256', kid: 'no-such-key' }, claims())],
  ['4 unknown kid (signed with our own key)', 'ERR_ACCESS_TOKEN_KID', () => trusted({}, { kid: 'rotated-away' })],
  ['4 kid path traversal', 'ERR_ACCESS_TOKEN_KID', () => trusted({}, { kid: '../../etc/passwd' })],
  ['4 kid SQL text', 'ERR_ACCESS_TOKEN_KID', () => trusted({}, { kid: "' OR 1=1 --" })],
  ['5 jku to another server', 'ERR_ACCESS_TOKEN_KEY_HEADER', () => signWithHeader(attacker.privateJwk, { alg: 'ES256', kid: 'attacker', jku: `${keyServerUrl}/jwks.json` }, claims())],
  ['5 x5u to another server', 'ERR_ACCESS_TOKEN_KEY_HEADER', () => signWithHeader(attacker.privateJwk, { alg: 'ES256', kid: 'attacker', x5u: `${keyServerUrl}/cert.pem` }, claims())],
  ['6 embedded jwk header', 'ERR_ACCESS_TOKEN_KEY_HEADER', () => signWithHeader(attacker.privateJwk, { alg: 'ES256', jwk: attacker.publicJwk }, claims())],
  ['7 empty signature', 'ERR_ACCESS_TOKEN_MALFORMED', async () => `${(await trusted()).split('.').slice(0, 2).join('.')}.`],
  ['7 truncated signature', 'ERR_ACCESS_TOKEN_SIGNATURE', async () => (await trusted()).slice(0, -6)],
  ['7 truncated to two segments', 'ERR_ACCESS_TOKEN_MALFORMED', async () => (await trusted()).split('.').slice(0, 2).join('.')],
  ['7 five segments (JWE shape)', 'ERR_ACCESS_TOKEN_MALFORMED', () => 'eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVy.dGFn'],
  ['7 signature of another token', 'ERR_ACCESS_TOKEN_SIGNATURE', async () => `${(await trusted({ scope: 'system/*.rs' })).split('.').slice(0, 2).join('.')}.${(await trusted()).split('.')[2]}`],
  ['8 expired an hour ago', 'ERR_ACCESS_TOKEN_EXPIRED', () => trusted({ iat: NOW_S - 7200, exp: NOW_S - 3600 })],
  ['8 expired just outside the leeway', 'ERR_ACCESS_TOKEN_EXPIRED', () => trusted({ iat: NOW_S - 600, exp: NOW_S - LEEWAY_S - 1 })],
  ['8 no exp at all', 'ERR_ACCESS_TOKEN_CLAIMS', () => trusted({ exp: undefined })],
  ['9 nbf in the future', 'ERR_ACCESS_TOKEN_NOT_YET_VALID', () => trusted({ nbf: NOW_S + 3600 })],
  ['9 nbf just outside the leeway', 'ERR_ACCESS_TOKEN_NOT_YET_VALID', () => trusted({ nbf: NOW_S + LEEWAY_S + 1 })],
  ['9 iat in the future', 'ERR_ACCESS_TOKEN_NOT_YET_VALID', () => trusted({ iat: NOW_S + 3600, exp: NOW_S + 3900 })],
  ['10 aud of another server', 'ERR_ACCESS_TOKEN_AUDIENCE', () => trusted({ aud: 'https://other.example.org/fhir' })],
  ['10 aud of our ingest endpoint', 'ERR_ACCESS_TOKEN_AUDIENCE', () => trusted({ aud: bridge.config.ingestAudience })],
  ['10 iss of another issuer', 'ERR_ACCESS_TOKEN_ISSUER', () => trusted({ iss: 'https://evil.example.org' })],
  ['11 id_token (nonce, no scope)', 'ERR_ACCESS_TOKEN_TYPE', () => trusted({ scope: undefined, nonce: 'n-0S6_WzA2Mj' }, { typ: 'JWT' })],
  ['11 typ of a logout token', 'ERR_ACCESS_TOKEN_TYPE', () => trusted({}, { typ: 'logout+jwt' })],
];

describe.each([
  ['search', () => '/fhir/Observation'],
  ['read', () => `/fhir/Observation/${observationId}`],
])('GET /fhir/Observation (%s) refuses a bad access token', (_interaction, url) => {
  it.each(cases)('%s → 401 %s', async (_name, code, makeToken) => {
    const before = await storedCounts(bridge.store);
    const seq = await auditHead(bridge.store);
    const token = await makeToken();
    const res = await bridge.get(url(), token);
    expectInvalidToken(res);
    expect(bridge.lastErrorCode()).toBe(code);
    expect(await storedCounts(bridge.store)).toEqual(before);
    const [audit, ...more] = await auditSince(bridge.store, seq);
    expect(more).toEqual([]);
    expect(audit).toMatchObject({ outcome: '4', outcomeDesc: expect.stringContaining(code) });
    // Case 16, second half: the token never reaches the logs (nor the audit trail).
    expect(JSON.stringify(bridge.logs)).not.toContain(token);
    expect(JSON.stringify(audit)).not.toContain(token);
  });
});

describe('the leeway and the controls', () => {
  it.each([
    ['a token straight from the issuer', () => bridge.token('system/Observation.rs')],
    ['exp just inside the leeway', () => trusted({ iat: NOW_S - 600, exp: NOW_S - LEEWAY_S + 1 })],
    ['nbf just inside the leeway', () => trusted({ nbf: NOW_S + LEEWAY_S - 1 })],
    ['iat just inside the leeway', () => trusted({ iat: NOW_S + LEEWAY_S - 1 })],
    ['v1 scope system/Observation.read', () => trusted({ scope: 'system/Observation.read' })],
  ])('accepts %s', async (_name, makeToken) => {
    const token = await makeToken();
    expect((await bridge.get('/fhir/Observation', token)).statusCode).toBe(200);
    expect((await bridge.get(`/fhir/Observation/${observationId}`, token)).statusCode).toBe(200);
  });

  it('never fetched the jku / x5u key server (SECURITY-CASES 5)', async () => {
    // Control: the server answers when asked, so zero hits means the bridge never asked.
    const direct = await fetch(`${keyServerUrl}/jwks.json`);
    expect(direct.status).toBe(200);
    expect(keyServerHits).toBe(1);
  });
});

describe('tokens in the wrong place or of the wrong kind', () => {
  it('refuses a valid token in the query string, and never logs it (case 16)', async () => {
    const token = await bridge.token('system/Observation.rs');
    for (const headers of [{}, { authorization: `Bearer ${token}` }]) {
      const res = await bridge.server.inject({ method: 'GET', url: `/fhir/Observation?access_token=${token}`, headers });
      expectInvalidToken(res);
      expect(bridge.lastErrorCode()).toBe('ERR_TOKEN_IN_QUERY');
    }
    expect(JSON.stringify(bridge.logs)).not.toContain(token);
    expect(JSON.stringify(await auditSince(bridge.store, 0))).not.toContain(token);
  });

  it('refuses a request without a token, or with another scheme', async () => {
    const token = await bridge.token('system/Observation.rs');
    for (const authorization of [undefined, `Basic ${Buffer.from('a:b').toString('base64')}`, `bearer  ${token} x`, token]) {
      const res = await bridge.server.inject({ method: 'GET', url: '/fhir/Observation', headers: authorization ? { authorization } : {} });
      expectInvalidToken(res);
      expect(bridge.lastErrorCode()).toBe('ERR_TOKEN_MISSING');
    }
  });

  it('refuses a device ingest JWT presented as an access token (case 11)', async () => {
    const device = await bridge.addDevice('oxi-token-case');
    const token = await signDeviceToken({ privateJwk: device.privateJwk, deviceId: device.id, audience: bridge.config.authAudience, body: '', now: bridge.now });
    const res = await bridge.get('/fhir/Observation', token);
    expectInvalidToken(res);
    expect(bridge.lastErrorCode()).toMatch(/^ERR_ACCESS_TOKEN_(SIGNATURE|TYPE|ISSUER)$/);
    // Even signed by a key the server trusts, a body-bound device token is not an access token.
    expectInvalidToken(await bridge.get('/fhir/Observation', await trusted({ body_sha256: 'x' }, { typ: 'JWT' })));
    expect(bridge.lastErrorCode()).toBe('ERR_ACCESS_TOKEN_TYPE');
  });
});
