import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type GenerateKeyPairResult } from 'jose';
import { createAccessTokenVerifier, jwksFromFile, jwksFromUrl } from '../../src/smart';

/** jose's key type (the DOM `CryptoKey` global is not in our lib settings). */
type Key = GenerateKeyPairResult['privateKey'];

const ISS = 'https://ehr.example.org';
const AUD = 'https://bridge.example.org/fhir';
const NOW_MS = Date.UTC(2025, 0, 15, 12, 0, 0);

let dir: string;
let privateKey: Key;
let publicJwk: JWK;
let privateJwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1' };
  privateJwk = { ...(await exportJWK(pair.privateKey)), kid: 'k1' };
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iomt-jwks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const token = () =>
  new SignJWT({ scope: 'system/Observation.rs', client_id: 'c' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(ISS)
    .setAudience(AUD)
    .setExpirationTime(NOW_MS / 1000 + 60)
    .sign(privateKey);

const verifierWith = (keys: Parameters<typeof createAccessTokenVerifier>[0]['keys']) =>
  createAccessTokenVerifier({ issuer: ISS, audience: AUD, keys, clockToleranceSeconds: 0, now: () => NOW_MS });

describe('jwksFromFile', () => {
  it('verifies tokens with the keys of a JWKS file', async () => {
    const file = join(dir, 'jwks.json');
    await writeFile(file, JSON.stringify({ keys: [publicJwk] }));
    await expect(verifierWith(await jwksFromFile(file))(await token())).resolves.toMatchObject({ clientId: 'c' });
  });

  it.each([
    ['a private key', () => ({ keys: [privateJwk] }), /private member "d"/],
    ['a symmetric key', () => ({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }), /asymmetric/],
    ['no keys', () => ({ keys: [] }), /non-empty "keys"/],
    ['not a JWK Set', () => [publicJwk], /non-empty "keys"/],
  ])('refuses a file holding %s, naming the file', async (_n, content, reason) => {
    const file = join(dir, 'jwks.json');
    await writeFile(file, JSON.stringify(content()));
    await expect(jwksFromFile(file)).rejects.toThrow(reason);
    await expect(jwksFromFile(file)).rejects.toThrow(file);
  });

  it('refuses a missing file', async () => {
    await expect(jwksFromFile(join(dir, 'absent.json'))).rejects.toThrow(/cannot read a JWK Set/);
  });
});

describe('jwksFromUrl', () => {
  let server: Server;
  let requests = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fetches the key set from a loopback URL and caches it', async () => {
    const { port } = server.address() as AddressInfo;
    const verify = verifierWith(jwksFromUrl(`http://127.0.0.1:${port}/jwks`));
    await expect(verify(await token())).resolves.toMatchObject({ clientId: 'c' });
    await expect(verify(await token())).resolves.toMatchObject({ clientId: 'c' });
    expect(requests).toBe(1);
  });

  it.each(['http://ehr.example.org/jwks', 'ftp://127.0.0.1/jwks', 'file:///etc/passwd'])('refuses %s (https only, http on loopback)', (url) => {
    expect(() => jwksFromUrl(url)).toThrow(/https/);
  });
});
