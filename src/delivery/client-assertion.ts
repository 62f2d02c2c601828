import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ClientKey } from './client-key';

/** The longest assertion lifetime SMART Backend Services allows. */
export const MAX_ASSERTION_LIFETIME_S = 300;

export interface ClientAssertionInput {
  key: ClientKey;
  clientId: string;
  /** The token endpoint URL: the assertion's `aud`. */
  tokenUrl: string;
  /** Epoch ms; `Date.now` by default. */
  now?: () => number;
  /** Unique per assertion; a random UUID by default. */
  jti?: () => string;
  /** ≤ 300 s; default 300. */
  lifetimeSeconds?: number;
}

/**
 * The signed client assertion of a SMART Backend Services token request: `iss` = `sub` = client id,
 * `aud` = token URL, `exp` at most five minutes ahead, a unique `jti`, `iat`, and the key's `kid` in the header.
 * See: https://hl7.org/fhir/smart-app-launch/backend-services.html#authenticating-to-the-token-endpoint
 * and RFC 7523 §3.
 * @example const jwt = await signClientAssertion({ key, clientId: 'iomt-bridge', tokenUrl });
 */
export async function signClientAssertion(input: ClientAssertionInput): Promise<string> {
  const nowS = Math.floor((input.now ?? Date.now)() / 1000);
  const lifetime = Math.min(input.lifetimeSeconds ?? MAX_ASSERTION_LIFETIME_S, MAX_ASSERTION_LIFETIME_S);
  return new SignJWT({})
    .setProtectedHeader({ alg: input.key.alg, kid: input.key.kid, typ: 'JWT' })
    .setIssuer(input.clientId)
    .setSubject(input.clientId)
    .setAudience(input.tokenUrl)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + lifetime)
    .setJti((input.jti ?? randomUUID)())
    .sign(input.key.privateKey);
}
