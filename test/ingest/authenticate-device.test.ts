import { base64url, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTHeaderParameters, type JWTPayload, type GenerateKeyPairResult } from 'jose';
import { FhirError } from '../../src/errors/fhir-error';
import { authenticateDevice, bodySha256, signDeviceToken, type AuthenticateDeviceOptions } from '../../src/ingest';
import type { RegisteredDevice } from '../../src/store/port';

/** jose's key type (the DOM `CryptoKey` global is not in our lib settings). */
type Key = GenerateKeyPairResult['privateKey'];

const AUD = 'https://bridge.example.org/ingest';
const NOW_MS = Date.UTC(2025, 0, 15, 12, 0, 0);
const NOW_S = NOW_MS / 1000;
const BODY = Buffer.from('{"deviceId":"pump-1","hr":72}');

type Keys = { privateJwk: JWK; publicJwk: JWK; privateKey: Key };
let a: Keys;
let b: Keys;
let registry: Map<string, RegisteredDevice>;
let options: AuthenticateDeviceOptions;

async function es256Keys(): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
}

const device = (id: string, k: Keys, status: RegisteredDevice['status'] = 'active'): RegisteredDevice => ({
  id,
  publicJwk: k.publicJwk as Record<string, unknown>,
  status,
  createdAt: '2025-01-01T00:00:00Z',
});

beforeAll(async () => {
  [a, b] = await Promise.all([es256Keys(), es256Keys()]);
});

beforeEach(() => {
  registry = new Map([
    ['pump-1', device('pump-1', a)],
    ['pump-2', device('pump-2', b)],
    ['pump-revoked', device('pump-revoked', a, 'revoked')],
  ]);
  options = { audience: AUD, getDevice: async (id) => registry.get(id), now: () => NOW_MS, clockToleranceSeconds: 30, maxLifetimeSeconds: 300 };
});

const goodClaims = (over: JWTPayload = {}): JWTPayload => ({
  iss: 'pump-1',
  aud: AUD,
  iat: NOW_S,
  exp: NOW_S + 60,
  jti: 'msg-1',
  body_sha256: bodySha256(BODY),
  ...over,
});

/** Signs arbitrary header + claims with key `k` (ES256 unless the header says otherwise). */
async function token(claims: JWTPayload, header: Partial<JWTHeaderParameters> = {}, key: Key | Uint8Array = a.privateKey): Promise<string> {
  const clean = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  return new SignJWT(clean).setProtectedHeader({ alg: 'ES256', ...header } as JWTHeaderParameters).sign(key);
}

const enc = (o: unknown): string => base64url.encode(JSON.stringify(o));

async function refusal(authorization: string | undefined, body: Buffer = BODY): Promise<FhirError> {
  try {
    await authenticateDevice(authorization, body, options);
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('expected a FhirError');
}

describe('authenticateDevice — happy path', () => {
  it('returns the registry device, jti and exp for a token from signDeviceToken', async () => {
    const t = await signDeviceToken({ privateJwk: a.privateJwk, deviceId: 'pump-1', audience: AUD, body: BODY, jti: 'm-42', now: () => NOW_MS });
    const result = await authenticateDevice(`Bearer ${t}`, BODY, options);
    expect(result.device).toBe(registry.get('pump-1'));
    expect(result.jti).toBe('m-42');
    expect(result.expiresAt).toBe(NOW_S + 120);
  });

  it('accepts exp just inside the clock tolerance and a lower-case scheme', async () => {
    const t = await token(goodClaims({ exp: NOW_S - 29 }));
    await expect(authenticateDevice(`bearer ${t}`, BODY, options)).resolves.toMatchObject({ jti: 'msg-1' });
  });

  it('accepts exp exactly at the lifetime limit plus tolerance', async () => {
    const t = await token(goodClaims({ exp: NOW_S + 330 }));
    await expect(authenticateDevice(`Bearer ${t}`, BODY, options)).resolves.toMatchObject({ expiresAt: NOW_S + 330 });
  });

  it('case 17: identity comes from the credential — the body naming pump-2 does not change it', async () => {
    const body = Buffer.from('{"deviceId":"pump-2","hr":200}');
    const t = await signDeviceToken({ privateJwk: a.privateJwk, deviceId: 'pump-1', audience: AUD, body, now: () => NOW_MS });
    const result = await authenticateDevice(`Bearer ${t}`, body, options);
    expect(result.device.id).toBe('pump-1');
    expect(result.device).toBe(registry.get('pump-1'));
  });

  it('ignores private members stored by mistake in the registry key', async () => {
    registry.set('pump-1', { ...device('pump-1', a), publicJwk: a.privateJwk as Record<string, unknown> });
    await expect(authenticateDevice(`Bearer ${await token(goodClaims())}`, BODY, options)).resolves.toMatchObject({ jti: 'msg-1' });
  });
});

describe('authenticateDevice — refusals', () => {
  type Case = [name: string, authorization: () => Promise<string | undefined>, code: string, status?: number, body?: Buffer];
  const rsaKey = generateKeyPair('RS256');
  const cases: Case[] = [
    ['no Authorization header', async () => undefined, 'ERR_DEVICE_TOKEN_MISSING'],
    ['Basic scheme', async () => 'Basic cHVtcDpwdw==', 'ERR_DEVICE_TOKEN_MISSING'],
    ['Bearer without token', async () => 'Bearer ', 'ERR_DEVICE_TOKEN_MISSING'],
    ['two segments (truncated)', async () => `Bearer ${enc({ alg: 'ES256' })}.${enc(goodClaims())}`, 'ERR_DEVICE_TOKEN_MALFORMED'],
    ['empty signature', async () => `Bearer ${enc({ alg: 'ES256' })}.${enc(goodClaims())}.`, 'ERR_DEVICE_TOKEN_MALFORMED'],
    ['five segments (JWE-shaped)', async () => 'Bearer aaa.bbb.ccc.ddd.eee', 'ERR_DEVICE_TOKEN_MALFORMED'],
    ['header not JSON', async () => `Bearer ${base64url.encode('nope')}.${enc(goodClaims())}.AAAA`, 'ERR_DEVICE_TOKEN_MALFORMED'],
    ['payload not JSON', async () => `Bearer ${enc({ alg: 'ES256' })}.${base64url.encode('nope')}.AAAA`, 'ERR_DEVICE_TOKEN_MALFORMED'],
    ['no iss', async () => `Bearer ${await token(goodClaims({ iss: undefined }))}`, 'ERR_DEVICE_TOKEN_MALFORMED'],
    ['alg none', async () => `Bearer ${enc({ alg: 'none' })}.${enc(goodClaims())}.AAAA`, 'ERR_DEVICE_TOKEN_ALG'],
    [
      'HS256 keyed with the device public key (alg confusion)',
      async () => `Bearer ${await token(goodClaims(), { alg: 'HS256' }, new TextEncoder().encode(JSON.stringify(a.publicJwk)))}`,
      'ERR_DEVICE_TOKEN_ALG',
    ],
    ['RS256', async () => `Bearer ${await token(goodClaims(), { alg: 'RS256' }, (await rsaKey).privateKey)}`, 'ERR_DEVICE_TOKEN_ALG'],
    ['jku header', async () => `Bearer ${await token(goodClaims(), { jku: 'https://evil.example/jwks' })}`, 'ERR_DEVICE_TOKEN_KEY_HEADER'],
    ['x5u header', async () => `Bearer ${await token(goodClaims(), { x5u: 'https://evil.example/cert' })}`, 'ERR_DEVICE_TOKEN_KEY_HEADER'],
    ['x5c header', async () => `Bearer ${await token(goodClaims(), { x5c: ['MIIB'] })}`, 'ERR_DEVICE_TOKEN_KEY_HEADER'],
    ['embedded jwk (attacker key)', async () => `Bearer ${await token(goodClaims(), { jwk: b.publicJwk }, b.privateKey)}`, 'ERR_DEVICE_TOKEN_KEY_HEADER'],
    ['typ at+jwt (an access token)', async () => `Bearer ${await token(goodClaims(), { typ: 'at+jwt' })}`, 'ERR_DEVICE_TOKEN_TYPE'],
    ['unknown device', async () => `Bearer ${await token(goodClaims({ iss: 'pump-9' }))}`, 'ERR_DEVICE_UNKNOWN'],
    ['iss pump-2 signed with pump-1 key', async () => `Bearer ${await token(goodClaims({ iss: 'pump-2' }))}`, 'ERR_DEVICE_TOKEN_SIGNATURE'],
    [
      'revoked device, bad signature (no revocation leak)',
      async () => `Bearer ${await token(goodClaims({ iss: 'pump-revoked' }), {}, b.privateKey)}`,
      'ERR_DEVICE_TOKEN_SIGNATURE',
    ],
    ['revoked device', async () => `Bearer ${await token(goodClaims({ iss: 'pump-revoked' }))}`, 'ERR_DEVICE_REVOKED', 403],
    ['expired beyond tolerance', async () => `Bearer ${await token(goodClaims({ exp: NOW_S - 31 }))}`, 'ERR_DEVICE_TOKEN_EXPIRED'],
    ['no exp', async () => `Bearer ${await token(goodClaims({ exp: undefined }))}`, 'ERR_DEVICE_TOKEN_CLAIMS'],
    ['exp too far ahead', async () => `Bearer ${await token(goodClaims({ exp: NOW_S + 331 }))}`, 'ERR_DEVICE_TOKEN_LIFETIME'],
    ['iat in the future', async () => `Bearer ${await token(goodClaims({ iat: NOW_S + 31 }))}`, 'ERR_DEVICE_TOKEN_NOT_YET_VALID'],
    ['nbf in the future', async () => `Bearer ${await token(goodClaims({ nbf: NOW_S + 31 }))}`, 'ERR_DEVICE_TOKEN_NOT_YET_VALID'],
    ['wrong aud', async () => `Bearer ${await token(goodClaims({ aud: 'https://bridge.example.org/fhir' }))}`, 'ERR_DEVICE_TOKEN_AUDIENCE'],
    ['no aud', async () => `Bearer ${await token(goodClaims({ aud: undefined }))}`, 'ERR_DEVICE_TOKEN_AUDIENCE'],
    ['no jti', async () => `Bearer ${await token(goodClaims({ jti: undefined }))}`, 'ERR_DEVICE_TOKEN_JTI'],
    ['jti not a string', async () => `Bearer ${await token(goodClaims({ jti: 7 as unknown as string }))}`, 'ERR_DEVICE_TOKEN_JTI'],
    ['jti of 201 chars', async () => `Bearer ${await token(goodClaims({ jti: 'x'.repeat(201) }))}`, 'ERR_DEVICE_TOKEN_JTI'],
    ['no body_sha256', async () => `Bearer ${await token(goodClaims({ body_sha256: undefined }))}`, 'ERR_DEVICE_TOKEN_BODY_HASH'],
    [
      'case 44: valid token reused with another body',
      async () => `Bearer ${await token(goodClaims())}`,
      'ERR_DEVICE_TOKEN_BODY_HASH',
      401,
      Buffer.from('{"deviceId":"pump-1","hr":180}'),
    ],
    [
      'case 44: same JSON, one extra byte',
      async () => `Bearer ${await token(goodClaims())}`,
      'ERR_DEVICE_TOKEN_BODY_HASH',
      401,
      Buffer.concat([BODY, Buffer.from('\n')]),
    ],
  ];

  it.each(cases)('%s', async (_name, authorization, code, status = 401, body = BODY) => {
    const e = await refusal(await authorization(), body);
    expect(e.code).toBe(code);
    expect(e.status).toBe(status);
    expect(e.outcome.issue[0]?.code).toBe(status === 401 ? 'login' : 'forbidden');
    if (status === 401) expect(e.headers['WWW-Authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('never looks up a device for a token refused on its header', async () => {
    const getDevice = jest.fn(options.getDevice);
    options = { ...options, getDevice };
    await refusal(`Bearer ${await token(goodClaims(), { jku: 'https://evil.example/jwks' })}`);
    expect(getDevice).not.toHaveBeenCalled();
  });

  it('does not echo the token in the outcome', async () => {
    const t = await token(goodClaims({ aud: 'elsewhere' }));
    expect(JSON.stringify((await refusal(`Bearer ${t}`)).outcome)).not.toContain(t.split('.')[2]);
  });
});

describe('authenticateDevice — the imported key is remembered, the registry still decides', () => {
  it('refuses a device revoked after a successful request, and the old key once the device is registered with a new one', async () => {
    const good = async (): Promise<string> => `Bearer ${await token(goodClaims())}`;
    await expect(authenticateDevice(await good(), BODY, options)).resolves.toMatchObject({ device: { id: 'pump-1' } });
    registry.set('pump-1', device('pump-1', a, 'revoked'));
    expect((await refusal(await good())).code).toBe('ERR_DEVICE_REVOKED');
    registry.set('pump-1', device('pump-1', b));
    expect((await refusal(await good())).code).toBe('ERR_DEVICE_TOKEN_SIGNATURE');
    await expect(authenticateDevice(`Bearer ${await token(goodClaims(), {}, b.privateKey)}`, BODY, options)).resolves.toMatchObject({ device: { id: 'pump-1' } });
  });
});
