import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';

/** The authorization server's signing keys (private JWKs): RS256 for id tokens and tokens, ES256 when asked. */
export interface SandboxKeys {
  keys: JsonWebKey[];
  /** Cookie signing secrets for oidc-provider's interaction cookies. */
  cookieKeys: string[];
}

/** Fresh keys for this run: the sandbox is disposable, so nothing is written to disk. */
export function generateSandboxKeys(): SandboxKeys {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const kid = () => randomBytes(8).toString('base64url');
  return {
    keys: [{ ...rsa, kid: `rs-${kid()}`, use: 'sig', alg: 'RS256' }, { ...ec, kid: `es-${kid()}`, use: 'sig', alg: 'ES256' }],
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
}
