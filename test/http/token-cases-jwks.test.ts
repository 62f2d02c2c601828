import { createPublicKey, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createTestBridge, type TestBridge } from '../support/test-bridge';
import { auditHead, auditSince, expectInvalidToken, hmacWithPublicKey, signWithHeader, storedCounts } from './helpers';

/**
 * SECURITY-CASES 2, 3, 10 and 11 with a configured issuer (IOMT_AUTH_ISSUER + a JWKS file generated here,
 * development issuer off): tokens whose signature is valid under a key the bridge trusts, refused for
 * the algorithm, the kind of token, or the issuer.
 */

const NOW_MS = Date.UTC(2025, 0, 15, 10, 0, 0);
const NOW_S = NOW_MS / 1000;
const ISSUER = 'https://ehr.example.org/oauth2';

let bridge: TestBridge;
let keysDir: string;
let rsa: { privateJwk: JWK; publicJwk: JWK };
let ec: { privateJwk: JWK; publicJwk: JWK };

async function keyPair(alg: 'RS256' | 'ES256', kid: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  // No `alg` on the published keys: the bridge's allow-list, not the key set, must decide.
  return { privateJwk: { ...(await exportJWK(pair.privateKey)), kid }, publicJwk: { ...(await exportJWK(pair.publicKey)), kid } };
}

beforeAll(async () => {
  [rsa, ec] = await Promise.all([keyPair('RS256', 'rsa-1'), keyPair('ES256', 'ec-1')]);
  keysDir = mkdtempSync(join(tmpdir(), 'iomt-jwks-'));
  const jwksFile = join(keysDir, 'issuer.jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [rsa.publicJwk, ec.publicJwk] }));
  bridge = await createTestBridge({
    IOMT_AUTH_ISSUER: ISSUER, IOMT_AUTH_JWKS_FILE: jwksFile, IOMT_DEV_ISSUER: 'off', IOMT_AUTH_ALGORITHMS: 'RS256,ES256',
  }, { now: () => NOW_MS });
});

afterAll(async () => {
  await bridge.close();
  rmSync(keysDir, { recursive: true, force: true });
});

const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: ISSUER, aud: bridge.config.authAudience, scope: 'system/Observation.rs', client_id: 'ehr-client',
  iat: NOW_S, exp: NOW_S + 300, jti: randomUUID(), ...overrides,
});

const withRsa = (alg: string, overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  signWithHeader(rsa.privateJwk, { alg, kid: 'rsa-1', typ: 'at+jwt', ...header }, claims(overrides));

const rsaPem = () => createPublicKey({ key: rsa.publicJwk as Record<string, string>, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;

it('has no development issuer: the configured issuer is the only one trusted', async () => {
  expect(bridge.issuerKey).toBeUndefined();
  expect(bridge.config.devIssuer).toBe(false);
});

it.each([
  ['RS256 with the RSA key', () => withRsa('RS256')],
  ['ES256 with the EC key', () => signWithHeader(ec.privateJwk, { alg: 'ES256', kid: 'ec-1', typ: 'at+jwt' }, claims())],
])('accepts %s (control)', async (_name, makeToken) => {
  expect((await bridge.get('/fhir/Observation', await makeToken())).statusCode).toBe(200);
});

type Case = [name: string, code: string, token: () => Promise<string> | string];

const cases: Case[] = [
  ['3 PS256, valid signature by a trusted key', 'ERR_ACCESS_TOKEN_ALG', () => withRsa('PS256')],
  ['3 RS512, valid signature by a trusted key', 'ERR_ACCESS_TOKEN_ALG', () => withRsa('RS512')],
  ['3 RS384, valid but not in IOMT_AUTH_ALGORITHMS', 'ERR_ACCESS_TOKEN_ALG', () => withRsa('RS384')],
  ['2 HS256 keyed with the RSA public key (PEM)', 'ERR_ACCESS_TOKEN_ALG', () => hmacWithPublicKey(rsaPem(), { kid: 'rsa-1' }, claims())],
  ['2 HS256 keyed with the RSA public JWK', 'ERR_ACCESS_TOKEN_ALG', () => hmacWithPublicKey(JSON.stringify(rsa.publicJwk), { kid: 'rsa-1' }, claims())],
  ['4 kid of the RSA key on an ES256 token', 'ERR_ACCESS_TOKEN_KID', () => signWithHeader(ec.privateJwk, { alg: 'ES256', kid: 'rsa-1' }, claims())],
  ['10 iss of another issuer', 'ERR_ACCESS_TOKEN_ISSUER', () => withRsa('RS256', { iss: 'https://other-ehr.example.org' })],
  ['10 aud of another server', 'ERR_ACCESS_TOKEN_AUDIENCE', () => withRsa('RS256', { aud: 'https://other.example.org/fhir' })],
  ['11 id_token (nonce, no scope)', 'ERR_ACCESS_TOKEN_TYPE', () => withRsa('RS256', { scope: undefined, nonce: 'abc' }, { typ: 'JWT' })],
  ['11 device token (body_sha256)', 'ERR_ACCESS_TOKEN_TYPE', () => withRsa('RS256', { body_sha256: 'x' }, { typ: 'JWT' })],
];

it.each(cases)('%s → 401 %s, on search and read', async (_name, code, makeToken) => {
  const before = await storedCounts(bridge.store);
  const token = await makeToken();
  for (const url of ['/fhir/Observation', '/fhir/Observation/any-id']) {
    const seq = await auditHead(bridge.store);
    expectInvalidToken(await bridge.get(url, token));
    expect(bridge.lastErrorCode()).toBe(code);
    expect(await auditSince(bridge.store, seq)).toEqual([
      expect.objectContaining({ outcome: '4', outcomeDesc: expect.stringContaining(code) }),
    ]);
  }
  expect(await storedCounts(bridge.store)).toEqual(before);
  expect(JSON.stringify(bridge.logs)).not.toContain(token);
});
