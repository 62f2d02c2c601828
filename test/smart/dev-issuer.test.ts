import { chmod, mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, decodeJwt } from 'jose';
import { createAccessTokenVerifier, devIssuerJwks, issueDevToken, loadOrCreateDevIssuerKey } from '../../src/smart';

const ISS = 'http://localhost:8080/dev-issuer';
const AUD = 'http://localhost:8080/fhir';
const NOW_MS = Date.UTC(2025, 0, 15, 12, 0, 0);
const posix = process.platform !== 'win32';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'iomt-dev-issuer-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const keyFile = () => join(dataDir, 'keys', 'dev-issuer.private.jwk.json');

describe('loadOrCreateDevIssuerKey', () => {
  it('generates an ES256 key on first use, folder 0700 and file 0600', async () => {
    const key = await loadOrCreateDevIssuerKey(dataDir);
    expect(key.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: key.kid, alg: 'ES256' });
    expect(key.publicJwk).not.toHaveProperty('d');
    expect(typeof key.privateJwk.d).toBe('string');
    const stored = JSON.parse(await readFile(keyFile(), 'utf8')) as Record<string, unknown>;
    expect(stored.d).toBe(key.privateJwk.d);
    if (posix) {
      expect((await stat(keyFile())).mode & 0o777).toBe(0o600);
      expect((await stat(join(dataDir, 'keys'))).mode & 0o777).toBe(0o700);
    }
  });

  it('re-uses the stored key afterwards', async () => {
    const first = await loadOrCreateDevIssuerKey(dataDir);
    const second = await loadOrCreateDevIssuerKey(dataDir);
    expect(second.kid).toBe(first.kid);
    expect(second.privateJwk.d).toBe(first.privateJwk.d);
  });

  it('gives two concurrent first starts the same key', async () => {
    const [x, y] = await Promise.all([loadOrCreateDevIssuerKey(dataDir), loadOrCreateDevIssuerKey(dataDir)]);
    expect(x.kid).toBe(y.kid);
  });

  (posix ? it : it.skip)('tightens a key file restored with looser permissions', async () => {
    await loadOrCreateDevIssuerKey(dataDir);
    await chmod(keyFile(), 0o644);
    await loadOrCreateDevIssuerKey(dataDir);
    expect((await stat(keyFile())).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['not JSON', 'nope'],
    ['an RSA key', JSON.stringify({ kty: 'RSA', n: 'x', e: 'AQAB', d: 'y' })],
    ['a public key only', JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' })],
  ])('refuses a key file holding %s, naming the file', async (_n, content) => {
    await mkdir(join(dataDir, 'keys'), { recursive: true });
    await writeFile(keyFile(), content, { mode: 0o600 });
    await expect(loadOrCreateDevIssuerKey(dataDir)).rejects.toThrow(keyFile());
  });
});

describe('issueDevToken', () => {
  it('issues an at+jwt the verifier accepts with devIssuerJwks', async () => {
    const key = await loadOrCreateDevIssuerKey(dataDir);
    const token = await issueDevToken({ key, issuer: ISS, audience: AUD, scope: 'launch patient/Observation.rs', patient: 'pat-7', now: () => NOW_MS });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: key.kid });
    expect(decodeJwt(token)).toMatchObject({ iss: ISS, aud: AUD, exp: NOW_MS / 1000 + 3600, client_id: 'iomt-bridge-dev', sub: 'iomt-bridge-dev' });
    const verify = createAccessTokenVerifier({ issuer: ISS, audience: AUD, keys: devIssuerJwks(key), clockToleranceSeconds: 0, now: () => NOW_MS });
    const ctx = await verify(token);
    expect(ctx).toMatchObject({ clientId: 'iomt-bridge-dev', patient: 'pat-7', scopes: ['launch', 'patient/Observation.rs'] });
    expect(typeof ctx.tokenId).toBe('string');
  });

  it('honours clientId and lifetime, and expires', async () => {
    const key = await loadOrCreateDevIssuerKey(dataDir);
    const token = await issueDevToken({ key, issuer: ISS, audience: AUD, scope: 'system/*.rs', clientId: 'cli', lifetimeSeconds: 60, now: () => NOW_MS });
    const later = createAccessTokenVerifier({ issuer: ISS, audience: AUD, keys: devIssuerJwks(key), clockToleranceSeconds: 0, now: () => NOW_MS + 61_000 });
    await expect(later(token)).rejects.toMatchObject({ code: 'ERR_ACCESS_TOKEN_EXPIRED', status: 401 });
    expect(decodeJwt(token).client_id).toBe('cli');
  });

  it('is not accepted with another dev key (a different data folder)', async () => {
    const key = await loadOrCreateDevIssuerKey(dataDir);
    const other = await loadOrCreateDevIssuerKey(join(dataDir, 'other'));
    const token = await issueDevToken({ key: other, issuer: ISS, audience: AUD, scope: 'system/*.rs', now: () => NOW_MS });
    const verify = createAccessTokenVerifier({ issuer: ISS, audience: AUD, keys: devIssuerJwks(key), clockToleranceSeconds: 0, now: () => NOW_MS });
    await expect(verify(token)).rejects.toMatchObject({ code: 'ERR_ACCESS_TOKEN_KID' });
  });
});
