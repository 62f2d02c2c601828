import type { JsonWebKey } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { SandboxAccess } from './fhir-routes';
import type { OidcProvider, StoredToken } from './load-oidc-provider';

/** What checking a token against the sandbox's own authorization server needs (same process). */
export interface SandboxTokenVerifierDeps {
  provider: Pick<OidcProvider, 'AccessToken' | 'ClientCredentials'>;
  issuer: string;
  /** The FHIR base the token must be for (`aud`). */
  audience: string;
  publicKeys: JsonWebKey[];
}

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * The sandbox FHIR endpoint's token check: JWT access tokens by signature (iss, aud, exp, typ `at+jwt`),
 * opaque ones by looking them up in the provider — the same answer introspection would give.
 */
export function createSandboxTokenVerifier(deps: SandboxTokenVerifierDeps): (token: string) => Promise<SandboxAccess | undefined> {
  const jwks = createLocalJWKSet({ keys: deps.publicKeys } as JSONWebKeySet);
  return async (token) => {
    if (JWT_SHAPE.test(token)) {
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: deps.issuer, audience: deps.audience, typ: 'at+jwt', algorithms: ['RS256', 'ES256'],
        });
        return accessOf(String(payload.client_id ?? ''), payload.scope, payload.patient);
      } catch {
        return undefined;
      }
    }
    const stored: StoredToken | undefined = (await deps.provider.AccessToken.find(token)) ?? (await deps.provider.ClientCredentials.find(token));
    if (stored === undefined || stored.isExpired) return undefined;
    const aud = stored.aud ?? stored.resourceServer?.audience;
    if (!(Array.isArray(aud) ? aud.includes(deps.audience) : aud === deps.audience)) return undefined;
    return accessOf(stored.clientId, stored.scope, stored.extra?.patient);
  };
}

function accessOf(clientId: string, scope: unknown, patient: unknown): SandboxAccess {
  return {
    clientId,
    scope: typeof scope === 'string' ? scope : '',
    ...(typeof patient === 'string' ? { patient } : {}),
  };
}

/** The public half of private JWKs (what `/jwks` publishes). */
export function publicJwks(keys: readonly JsonWebKey[]): JsonWebKey[] {
  return keys.map(({ kty, crv, x, y, n, e, kid, use, alg }: JsonWebKey & { kid?: string; use?: string; alg?: string }) =>
    Object.fromEntries(Object.entries({ kty, crv, x, y, n, e, kid, use, alg }).filter(([, v]) => v !== undefined)) as JsonWebKey);
}
