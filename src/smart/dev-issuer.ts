import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';

/** The embedded development issuer's signing key (ES256). */
export interface DevIssuerKey {
  privateJwk: JWK;
  publicJwk: JWK;
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
}

const FILE_NAME = 'dev-issuer.private.jwk.json';

/**
 * Loads `<dataDir>/keys/dev-issuer.private.jwk.json`, or generates an ES256 key pair on first use and
 * writes it there (folder 0700, file 0600). The file is published atomically (temp file + hard link),
 * so two processes starting together end up with the same key. The key is never logged.
 * @example const key = await loadOrCreateDevIssuerKey('./data');
 */
export async function loadOrCreateDevIssuerKey(dataDir: string): Promise<DevIssuerKey> {
  const dir = join(dataDir, 'keys');
  const file = join(dir, FILE_NAME);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const existing = await readKeyFile(file);
  if (existing !== undefined) return existing;
  const created = await generateDevIssuerKey();
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(created.privateJwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    await unlink(tmp);
  }
  return (await readKeyFile(file)) as DevIssuerKey;
}

async function readKeyFile(file: string): Promise<DevIssuerKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  await chmod(file, 0o600); // tighten a copy restored with looser permissions
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    throw new Error(`${file}: not a JSON JWK; delete it to generate a new development issuer key`);
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new Error(`${file}: not an ES256 (P-256) private JWK`);
  }
  return keyOf(jwk);
}

async function generateDevIssuerKey(): Promise<DevIssuerKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return keyOf(await exportJWK(privateKey));
}

async function keyOf(jwk: JWK): Promise<DevIssuerKey> {
  const { kty, crv, x, y, d } = jwk;
  const publicOnly: JWK = { kty, crv, x, y };
  const kid = await calculateJwkThumbprint(publicOnly, 'sha256');
  const publicJwk: JWK = { ...publicOnly, kid, alg: 'ES256', use: 'sig' };
  return { privateJwk: { ...publicJwk, d }, publicJwk, kid };
}

export interface IssueDevTokenOptions {
  key: DevIssuerKey;
  issuer: string;
  /** The FHIR base URL the token is for. */
  audience: string;
  /** Space-separated SMART scopes. */
  scope: string;
  /** Launch context patient id. */
  patient?: string;
  /** Default `iomt-bridge-dev`. */
  clientId?: string;
  /** Default 3600. */
  lifetimeSeconds?: number;
  /** Clock in milliseconds; default `Date.now`. */
  now?: () => number;
}

/**
 * Issues a SMART access token from the development issuer (RFC 9068 JWT profile: `typ: at+jwt`,
 * `client_id`, `sub`, `iat`, `jti`, `scope`).
 * See: https://www.rfc-editor.org/rfc/rfc9068#section-2
 * @example const token = await issueDevToken({ key, issuer, audience, scope: 'system/Observation.rs' });
 */
export async function issueDevToken(options: IssueDevTokenOptions): Promise<string> {
  const nowS = Math.floor((options.now ?? Date.now)() / 1000);
  const clientId = options.clientId ?? 'iomt-bridge-dev';
  const claims: Record<string, string> = { scope: options.scope, client_id: clientId };
  if (options.patient !== undefined) claims.patient = options.patient;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: options.key.kid })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(clientId)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + (options.lifetimeSeconds ?? 3600))
    .setJti(randomUUID())
    .sign(await importJWK(options.key.privateJwk, 'ES256'));
}

/** The development issuer's public key as a key source for `createAccessTokenVerifier`. */
export function devIssuerJwks(key: DevIssuerKey): JWTVerifyGetKey {
  return createLocalJWKSet({ keys: [key.publicJwk] });
}
