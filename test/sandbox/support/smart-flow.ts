import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** A tiny cookie jar: enough for oidc-provider's interaction and session cookies on one origin. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  take(response: Response): void {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
  }

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface AuthorizeRequest {
  authorizeUrl: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  aud?: string;
  launch?: string;
  /** Extra authorize parameters (e.g. `sandbox_patient`); `undefined` values drop the default (e.g. the PKCE challenge). */
  extra?: Record<string, string | undefined>;
  /** Called with an HTML interaction page; returns the form to POST (the human part). */
  onPage?: (html: string, url: string) => URLSearchParams;
}

/** Where the authorization server finally sent the browser back to the app. */
export interface AuthorizeResult {
  redirect: URL;
  code?: string;
  state: string;
  verifier: string;
  /** Every URL visited, for diagnostics. */
  hops: string[];
}

/** A PKCE pair (RFC 7636 §4.1–4.2, S256). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * Runs the front-channel of an authorization-code flow the way a browser would, following redirects by hand
 * (with cookies) until the authorization server redirects to `redirectUri`.
 */
export async function authorize(request: AuthorizeRequest): Promise<AuthorizeResult> {
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(16).toString('base64url');
  const params: Record<string, string | undefined> = {
    response_type: 'code', client_id: request.clientId, redirect_uri: request.redirectUri, scope: request.scope, state,
    aud: request.aud, launch: request.launch, code_challenge: challenge, code_challenge_method: 'S256', ...request.extra,
  };
  const url = new URL(request.authorizeUrl);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  const jar = new CookieJar();
  const hops: string[] = [];
  let next: { url: string; init: RequestInit } = { url: url.href, init: {} };
  for (let i = 0; i < 12; i += 1) {
    hops.push(next.url);
    if (next.url.startsWith(request.redirectUri)) {
      const redirect = new URL(next.url);
      return { redirect, code: redirect.searchParams.get('code') ?? undefined, state, verifier, hops };
    }
    const response = await fetch(next.url, { ...next.init, redirect: 'manual', headers: { ...next.init.headers, cookie: jar.header() } });
    jar.take(response);
    const location = response.headers.get('location');
    if (location !== null) {
      next = { url: new URL(location, next.url).href, init: {} };
      continue;
    }
    const html = await response.text();
    if (request.onPage === undefined || !(response.headers.get('content-type') ?? '').includes('text/html')) {
      throw new Error(`no redirect from ${next.url}: ${response.status} ${html.slice(0, 300)}`);
    }
    const form = request.onPage(html, next.url);
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '';
    next = { url: new URL(action, next.url).href, init: { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } } };
  }
  throw new Error(`too many redirects: ${hops.join(' → ')}`);
}

/** POSTs a form to a token, introspection or revocation endpoint; returns status and JSON body (`{}` when empty). */
export async function tokenRequest(tokenUrl: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(tokenUrl, {
    method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  const text = await response.text();
  // Revocation answers 200 with an empty body (RFC 7009 §2.2).
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

/** `Authorization: Basic` for a client id and secret (RFC 6749 §2.3.1: form-urlencoded first). */
export const basic = (id: string, secret: string): Record<string, string> =>
  ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });

/** A backend-service key pair whose public JWKS can be handed to the sandbox (`--backend-jwks-json`). */
export interface BackendKey {
  privateKey: CryptoKey;
  kid: string;
  alg: 'ES384' | 'RS384';
  /** `{ keys: [publicJwk] }` */
  jwks: { keys: JWK[] };
}

export async function makeBackendKey(alg: 'ES384' | 'RS384' = 'ES384', kid = `k-${randomUUID()}`): Promise<BackendKey> {
  const pair = await generateKeyPair(alg);
  return { privateKey: pair.privateKey, kid, alg, jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' }] } };
}

/** SMART Backend Services client assertion (iss = sub = client id, aud = token URL, exp ≤ 5 min, unique jti). */
export function clientAssertion(key: BackendKey, clientId: string, tokenUrl: string): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(clientId).setSubject(clientId).setAudience(tokenUrl).setJti(randomUUID()).setIssuedAt().setExpirationTime('4m')
    .sign(key.privateKey);
}

/** A `client_credentials` access token for `scope`. Throws unless the server answers 200. */
export async function backendToken(key: BackendKey, clientId: string, tokenUrl: string, scope: string): Promise<string> {
  const { status, body } = await tokenRequest(tokenUrl, {
    grant_type: 'client_credentials', scope,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await clientAssertion(key, clientId, tokenUrl),
  });
  if (status !== 200) throw new Error(`token request failed: ${status} ${JSON.stringify(body)}`);
  return String(body.access_token);
}
