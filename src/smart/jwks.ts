import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/** Private or symmetric key members: a verifier's key set must hold public keys only. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'] as const;

/**
 * Checks a parsed JWK Set (RFC 7517 §5) holds only public asymmetric keys; throws an Error naming
 * `source` and the reason otherwise (a start-up configuration error).
 */
export function assertPublicJwks(value: unknown, source: string): JSONWebKeySet {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${source}: a JWK Set needs a non-empty "keys" array`);
  keys.forEach((key: unknown, i) => {
    if (key === null || typeof key !== 'object') throw new Error(`${source}: keys[${i}] is not an object`);
    const jwk = key as Record<string, unknown>;
    if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') {
      throw new Error(`${source}: keys[${i}] must be an asymmetric key (kty RSA, EC or OKP)`);
    }
    const secret = SECRET_MEMBERS.find((m) => Object.hasOwn(jwk, m));
    if (secret !== undefined) throw new Error(`${source}: keys[${i}] holds private member "${secret}"; publish public keys only`);
  });
  return value as JSONWebKeySet;
}

/**
 * Key source from a JWKS file, read once at start-up.
 * @example const keys = await jwksFromFile('/etc/iomt-bridge/issuer.jwks.json');
 */
export async function jwksFromFile(path: string): Promise<JWTVerifyGetKey> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: cannot read a JWK Set (${(e as Error).message})`, { cause: e });
  }
  return createLocalJWKSet(assertPublicJwks(parsed, path));
}

export interface RemoteJwksOptions {
  /** Per fetch; default 5,000 ms. */
  timeoutMs?: number;
  /** Minimum time between re-fetches triggered by an unknown `kid`; default 30,000 ms. */
  cooldownMs?: number;
  /** Keys are re-fetched after this age; default 10 minutes. */
  cacheMaxAgeMs?: number;
}

/**
 * Key source from the issuer's `jwks_uri`, cached by jose. Only `https:` is accepted, except plain
 * `http:` on loopback (the embedded sandbox EHR). The URL is configuration, never taken from a token.
 * @example const keys = jwksFromUrl('https://ehr.example.org/oauth2/jwks');
 */
export function jwksFromUrl(url: string, options: RemoteJwksOptions = {}): JWTVerifyGetKey {
  const parsed = new URL(url);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new Error(`${url}: a JWKS URL must use https (http only on loopback)`);
  }
  return createRemoteJWKSet(parsed, {
    timeoutDuration: options.timeoutMs ?? 5_000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
  });
}
