import { createPublicKey } from 'node:crypto';
import {
  base64url,
  createLocalJWKSet,
  errors,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
  type GenerateKeyPairResult,
} from 'jose';
import { FhirError } from '../../src/errors/fhir-error';
import { createAccessTokenVerifier, type AccessTokenVerifierOptions } from '../../src/smart';

/** jose's key type (the DOM `CryptoKey` global is not in our lib settings). */
type Key = GenerateKeyPairResult['privateKey'];

const ISS = 'https://ehr.example.org/oauth2';
const AUD = 'https://bridge.example.org/fhir';
const NOW_MS = Date.UTC(2025, 0, 15, 12, 0, 0);
const NOW_S = NOW_MS / 1000;

let ec: GenerateKeyPairResult;
let rsa: GenerateKeyPairResult;
let rsaPublicJwk: JWK;
let keys: JWTVerifyGetKey;

beforeAll(async () => {
  [ec, rsa] = await Promise.all([generateKeyPair('ES256', { extractable: true }), generateKeyPair('RS256', { extractable: true })]);
  const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec-1' };
  rsaPublicJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1' };
  keys = createLocalJWKSet({ keys: [ecJwk, rsaPublicJwk] });
});

const verifier = (over: Partial<AccessTokenVerifierOptions> = {}) =>
  createAccessTokenVerifier({ issuer: ISS, audience: AUD, keys, clockToleranceSeconds: 30, now: () => NOW_MS, ...over });

const claims = (over: JWTPayload = {}): JWTPayload => ({
  iss: ISS,
  aud: AUD,
  sub: 'dr-who',
  client_id: 'ehr-app',
  scope: 'launch openid patient/Observation.rs patient/Device.read',
  patient: 'pat-1',
  iat: NOW_S - 10,
  exp: NOW_S + 300,
  jti: 'tok-1',
  ...over,
});

async function sign(payload: JWTPayload, header: Partial<JWTHeaderParameters> = {}, key: Key | Uint8Array = ec.privateKey): Promise<string> {
  const clean = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  return new SignJWT(clean).setProtectedHeader({ alg: 'ES256', kid: 'ec-1', typ: 'at+jwt', ...header } as JWTHeaderParameters).sign(key);
}

const enc = (o: unknown): string => base64url.encode(JSON.stringify(o));

async function refusal(token: string, verify = verifier()): Promise<FhirError> {
  try {
    await verify(token);
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('expected a FhirError');
}

describe('createAccessTokenVerifier — accepted tokens', () => {
  it('returns the access context of a valid ES256 at+jwt', async () => {
    const ctx = await verifier()(await sign(claims()));
    expect(ctx).toMatchObject({ clientId: 'ehr-app', subject: 'dr-who', patient: 'pat-1', tokenId: 'tok-1' });
    expect(ctx.scopes).toEqual(['launch', 'openid', 'patient/Observation.rs', 'patient/Device.read']);
    expect(ctx.permissions.map((p) => p.resourceType)).toEqual(['Observation', 'Device']);
  });

  it.each([
    ['RS256 with typ JWT', { alg: 'RS256', kid: 'rsa-1', typ: 'JWT' }, () => rsa.privateKey, {}],
    ['exp just inside the leeway', {}, () => ec.privateKey, { exp: NOW_S - 29 }],
    ['nbf just inside the leeway', {}, () => ec.privateKey, { nbf: NOW_S + 29 }],
    ['scope as an array', {}, () => ec.privateKey, { scope: ['system/Observation.rs'] }],
    ['client from azp', {}, () => ec.privateKey, { client_id: undefined, azp: 'azp-app' }],
    ['client from sub', {}, () => ec.privateKey, { client_id: undefined, sub: 'backend-svc' }],
    ['Patient/ prefix', {}, () => ec.privateKey, { patient: 'Patient/pat-1' }],
    ['no typ', { typ: undefined }, () => ec.privateKey, {}],
    ['aud as an array', {}, () => ec.privateKey, { aud: ['other', AUD] }],
  ] as Array<[string, Partial<JWTHeaderParameters>, () => Key, JWTPayload]>)('accepts %s', async (_n, header, key, over) => {
    const h = Object.fromEntries(Object.entries({ alg: 'ES256', kid: 'ec-1', typ: 'at+jwt', ...header }).filter(([, v]) => v !== undefined));
    const token = await new SignJWT(Object.fromEntries(Object.entries(claims(over)).filter(([, v]) => v !== undefined)))
      .setProtectedHeader(h as JWTHeaderParameters)
      .sign(key());
    await expect(verifier()(token)).resolves.toMatchObject({ scopes: expect.any(Array) });
  });

  it('strips Patient/ from the patient context and takes the client from azp', async () => {
    const ctx = await verifier()(await sign(claims({ patient: 'Patient/pat-1', client_id: undefined, azp: 'azp-app' })));
    expect([ctx.patient, ctx.clientId]).toEqual(['pat-1', 'azp-app']);
  });
});

describe('createAccessTokenVerifier — SECURITY-CASES 1–11', () => {
  const hmacWith = (bytes: Uint8Array | Buffer) => async () => sign(claims(), { alg: 'HS256' }, new Uint8Array(bytes));
  type Case = [name: string, token: () => Promise<string>, code: string];
  const cases: Case[] = [
    ['1 alg none, empty signature', async () => `${enc({ alg: 'none' })}.${enc(claims())}.`, 'ERR_ACCESS_TOKEN_MALFORMED'],
    ['1 alg none, with a signature', async () => `${enc({ alg: 'none' })}.${enc(claims())}.AAAA`, 'ERR_ACCESS_TOKEN_ALG'],
    ['2 HS256 keyed with our RSA public key (PEM)', async () => hmacWith(Buffer.from(createPublicKey({ key: rsaPublicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' })))(), 'ERR_ACCESS_TOKEN_ALG'],
    ['2 HS256 keyed with our public JWK', async () => hmacWith(Buffer.from(JSON.stringify(rsaPublicJwk)))(), 'ERR_ACCESS_TOKEN_ALG'],
    ['3 PS256 (valid signature, not allowed)', async () => sign(claims(), { alg: 'PS256', kid: 'rsa-1' }, (await generateKeyPair('PS256')).privateKey), 'ERR_ACCESS_TOKEN_ALG'],
    ['4 unknown kid', async () => sign(claims(), { kid: 'ec-9' }), 'ERR_ACCESS_TOKEN_KID'],
    ['4 kid path traversal', async () => sign(claims(), { kid: '../../../../etc/passwd' }), 'ERR_ACCESS_TOKEN_KID'],
    ['4 kid dot-dot', async () => sign(claims(), { kid: '..' }), 'ERR_ACCESS_TOKEN_KID'],
    ['4 kid SQL text', async () => sign(claims(), { kid: "ec-1' OR '1'='1" }), 'ERR_ACCESS_TOKEN_KID'],
    ['4 kid not a string', async () => `${enc({ alg: 'ES256', kid: 5 })}.${enc(claims())}.AAAA`, 'ERR_ACCESS_TOKEN_KID'],
    ['5 jku header', async () => sign(claims(), { jku: 'https://evil.example/jwks.json' }), 'ERR_ACCESS_TOKEN_KEY_HEADER'],
    ['5 x5u header', async () => sign(claims(), { x5u: 'https://evil.example/cert.pem' }), 'ERR_ACCESS_TOKEN_KEY_HEADER'],
    ['5 x5c header', async () => sign(claims(), { x5c: ['MIIB'] }), 'ERR_ACCESS_TOKEN_KEY_HEADER'],
    ['6 embedded jwk', async () => {
      const attacker = await generateKeyPair('ES256', { extractable: true });
      return sign(claims(), { jwk: await exportJWK(attacker.publicKey) }, attacker.privateKey);
    }, 'ERR_ACCESS_TOKEN_KEY_HEADER'],
    ['7 empty signature', async () => (await sign(claims())).replace(/\.[^.]+$/, '.'), 'ERR_ACCESS_TOKEN_MALFORMED'],
    ['7 truncated', async () => (await sign(claims())).split('.').slice(0, 2).join('.'), 'ERR_ACCESS_TOKEN_MALFORMED'],
    ['7 five segments (JWE)', async () => 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', 'ERR_ACCESS_TOKEN_MALFORMED'],
    ['7 empty string', async () => '', 'ERR_ACCESS_TOKEN_MALFORMED'],
    ['7 tampered payload', async () => {
      const [h, , s] = (await sign(claims())).split('.');
      return `${h}.${enc(claims({ scope: 'system/*.cruds' }))}.${s}`;
    }, 'ERR_ACCESS_TOKEN_SIGNATURE'],
    ['8 expired', async () => sign(claims({ exp: NOW_S - 3600 })), 'ERR_ACCESS_TOKEN_EXPIRED'],
    ['8 exp just outside the leeway', async () => sign(claims({ exp: NOW_S - 31 })), 'ERR_ACCESS_TOKEN_EXPIRED'],
    ['8 no exp', async () => sign(claims({ exp: undefined })), 'ERR_ACCESS_TOKEN_CLAIMS'],
    ['9 nbf in the future', async () => sign(claims({ nbf: NOW_S + 31 })), 'ERR_ACCESS_TOKEN_NOT_YET_VALID'],
    ['9 iat in the future', async () => sign(claims({ iat: NOW_S + 31 })), 'ERR_ACCESS_TOKEN_NOT_YET_VALID'],
    ['10 wrong aud', async () => sign(claims({ aud: 'https://other.example.org/fhir' })), 'ERR_ACCESS_TOKEN_AUDIENCE'],
    ['10 no aud', async () => sign(claims({ aud: undefined })), 'ERR_ACCESS_TOKEN_AUDIENCE'],
    ['10 wrong iss', async () => sign(claims({ iss: 'https://evil.example.org' })), 'ERR_ACCESS_TOKEN_ISSUER'],
    ['11 id_token (nonce, no scope)', async () => sign(claims({ scope: undefined, nonce: 'n-1' }), { typ: 'JWT' }), 'ERR_ACCESS_TOKEN_TYPE'],
    ['11 device JWT (body_sha256)', async () => sign(claims({ body_sha256: 'abc' }), { typ: 'JWT' }), 'ERR_ACCESS_TOKEN_TYPE'],
    ['11 other typ', async () => sign(claims(), { typ: 'dpop+jwt' }), 'ERR_ACCESS_TOKEN_TYPE'],
    ['no scope', async () => sign(claims({ scope: undefined })), 'ERR_ACCESS_TOKEN_SCOPE'],
    ['blank scope', async () => sign(claims({ scope: '   ' })), 'ERR_ACCESS_TOKEN_SCOPE'],
    ['scope not a string', async () => sign(claims({ scope: 42 as unknown as string })), 'ERR_ACCESS_TOKEN_SCOPE'],
    ['no client', async () => sign(claims({ client_id: undefined, sub: undefined })), 'ERR_ACCESS_TOKEN_CLIENT'],
    ['patient not a FHIR id', async () => sign(claims({ patient: "pat-1' OR 1=1" })), 'ERR_ACCESS_TOKEN_PATIENT'],
  ];

  it.each(cases)('%s', async (_name, token, code) => {
    const fetchSpy = jest.spyOn(globalThis, 'fetch');
    const e = await refusal(await token());
    expect([e.code, e.status, e.outcome.issue[0]?.code]).toEqual([code, 401, 'login']);
    expect(e.headers['WWW-Authenticate']).toBe('Bearer error="invalid_token"');
    expect(fetchSpy).not.toHaveBeenCalled(); // case 5: nothing is ever fetched from a token
    fetchSpy.mockRestore();
  });

  it('3 refuses an algorithm removed from a narrowed allow-list', async () => {
    const token = await sign(claims(), { alg: 'RS256', kid: 'rsa-1' }, rsa.privateKey);
    expect((await refusal(token, verifier({ algorithms: ['ES256'] }))).code).toBe('ERR_ACCESS_TOKEN_ALG');
  });

  it('answers 503 when the issuer key set cannot be fetched', async () => {
    const unavailable: JWTVerifyGetKey = async () => {
      throw new errors.JWKSTimeout();
    };
    const e = await refusal(await sign(claims()), verifier({ keys: unavailable }));
    expect([e.code, e.status]).toEqual(['ERR_JWKS_UNAVAILABLE', 503]);
  });

  it.each([[['HS256']], [['none']], [[]], [['RS256', 'HS512']]])('refuses algorithms %p at construction', (algorithms) => {
    expect(() => verifier({ algorithms })).toThrow(TypeError);
  });
});
