import { createHash } from 'node:crypto';
import { FhirError, unauthorized } from '../errors/fhir-error';
import type { AccessContext } from './contracts';
import { parseScopes } from './scopes';

/** Options of {@link createIntrospectionVerifier}. */
export interface IntrospectionOptions {
  /** The authorization server's RFC 7662 introspection endpoint (configuration, never from a token). */
  url: string;
  /** Our credentials as a protected resource at that server (client_secret_basic). */
  clientId: string;
  clientSecret: string;
  /** This FHIR server's base URL: the answer's `aud` must contain it. */
  audience: string;
  /** When set, an answer carrying `iss` must name it. */
  issuer?: string;
  /** How long an answer is reused (bounded by the token's `exp`); default 30,000 ms, 0 = no cache. */
  cacheTtlMs?: number;
  /** Most cached answers; the oldest go first. Default 10,000. */
  maxCacheEntries?: number;
  /** Per request; default 5,000 ms. */
  timeoutMs?: number;
  clockToleranceSeconds: number;
  /** Injected for tests; default the global fetch. */
  fetch?: typeof fetch;
  /** Clock in epoch ms; default `Date.now`. */
  now?: () => number;
}

const MAX_TOKEN_LENGTH = 16_384;
const MAX_ANSWER_BYTES = 64 * 1024;
const PATIENT_ID = /^[A-Za-z0-9\-.]{1,64}$/;
/** Printable ASCII without space (RFC 6750 §2.1 b64token is narrower; opaque tokens vary). */
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

type Answer = Record<string, unknown>;
interface CacheEntry {
  until: number;
  result: Promise<AccessContext>;
}

/**
 * Builds a verifier of opaque access tokens by RFC 7662 token introspection, for EHRs whose
 * authorization server does not issue JWTs. Answers are cached briefly by a hash of the token (never the
 * token itself), concurrent checks of one token share one request, and revocation is therefore seen
 * within `cacheTtlMs`.
 *
 * Rejects with 401 (`WWW-Authenticate: Bearer error="invalid_token"`): ERR_ACCESS_TOKEN_MALFORMED,
 * _INACTIVE, _EXPIRED, _NOT_YET_VALID, _AUDIENCE, _ISSUER, _TYPE, _SCOPE, _CLIENT, _PATIENT; or 503
 * ERR_INTROSPECTION_UNAVAILABLE when the endpoint fails (network, timeout, non-200, not JSON).
 * See: https://www.rfc-editor.org/rfc/rfc7662, https://hl7.org/fhir/smart-app-launch/STU2.2/token-introspection.html
 * @example
 * const verify = createIntrospectionVerifier({ url, clientId: 'rs', clientSecret, audience: 'https://bridge/fhir', clockToleranceSeconds: 30 });
 * const access = await verify(opaqueToken);
 */
export function createIntrospectionVerifier(options: IntrospectionOptions): (token: string) => Promise<AccessContext> {
  const now = options.now ?? Date.now;
  const ttl = options.cacheTtlMs ?? 30_000;
  const max = options.maxCacheEntries ?? 10_000;
  const cache = new Map<string, CacheEntry>();
  return (token: string) => {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !TOKEN_CHARS.test(token)) {
      return Promise.reject(unauthorized('ERR_ACCESS_TOKEN_MALFORMED', 'The access token is malformed'));
    }
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = cache.get(key);
    if (hit !== undefined && hit.until > now()) return hit.result;
    cache.delete(key);
    const result = introspect(token, options).then((answer) => contextOf(answer, options, now()));
    if (ttl > 0) remember(cache, key, result, ttl, max, now);
    return result;
  };
}

/** Caches a pending answer; an unavailable endpoint is not cached (the next request tries again). */
function remember(cache: Map<string, CacheEntry>, key: string, result: Promise<AccessContext>, ttl: number, max: number, now: () => number): void {
  const entry: CacheEntry = { until: now() + ttl, result };
  if (cache.size >= max) cache.delete(cache.keys().next().value as string);
  cache.set(key, entry);
  result.then(
    (access) => {
      // Never reuse an answer past the token's own expiry.
      if (access.expiresAt !== undefined) entry.until = Math.min(entry.until, access.expiresAt * 1000);
    },
    (error: unknown) => {
      if (!(error instanceof FhirError) || error.status >= 500) cache.delete(key);
    },
  );
}

async function introspect(token: string, options: IntrospectionOptions): Promise<Answer> {
  // RFC 6749 §2.3.1: client_secret_basic encodes id and secret with application/x-www-form-urlencoded first.
  const basic = Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64');
  let text: string;
  try {
    const response = await (options.fetch ?? fetch)(options.url, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      // The endpoint is configuration; a redirect elsewhere is not followed (SECURITY-CASES 30).
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
    text = await response.text();
    if (response.status !== 200) throw new Error(`status ${response.status}`);
  } catch (cause) {
    throw unavailable(cause);
  }
  if (text.length > MAX_ANSWER_BYTES) throw unavailable(new Error('answer too large'));
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch (cause) {
    throw unavailable(cause);
  }
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) throw unavailable(new Error('answer is not an object'));
  return answer as Answer;
}

const unavailable = (cause: unknown): FhirError => {
  const error = FhirError.of('ERR_INTROSPECTION_UNAVAILABLE', { code: 'transient', text: 'The token introspection endpoint is unavailable' }, { status: 503 });
  (error as Error & { cause?: unknown }).cause = cause;
  return error;
};

/** RFC 7662 §2.2 answer → AccessContext; every check fails closed. */
function contextOf(answer: Answer, options: IntrospectionOptions, nowMs: number): AccessContext {
  if (answer.active !== true) throw unauthorized('ERR_ACCESS_TOKEN_INACTIVE', 'The access token is not active');
  checkTimes(answer, options.clockToleranceSeconds, Math.floor(nowMs / 1000));
  const aud = answer.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.includes(options.audience)) throw unauthorized('ERR_ACCESS_TOKEN_AUDIENCE', 'The access token was issued for another server');
  if (options.issuer !== undefined && answer.iss !== undefined && answer.iss !== options.issuer) {
    throw unauthorized('ERR_ACCESS_TOKEN_ISSUER', 'The access token comes from an untrusted issuer');
  }
  // A refresh token is active too; only access tokens open the API (SECURITY-CASES 11).
  if (answer.token_type !== undefined && !['bearer', 'access_token'].includes(String(answer.token_type).toLowerCase())) {
    throw unauthorized('ERR_ACCESS_TOKEN_TYPE', 'The token is not an access token');
  }
  if (typeof answer.scope !== 'string' || answer.scope.trim() === '') throw unauthorized('ERR_ACCESS_TOKEN_SCOPE', 'The access token carries no scope');
  const clientId = typeof answer.client_id === 'string' && answer.client_id !== '' ? answer.client_id : undefined;
  if (clientId === undefined) throw unauthorized('ERR_ACCESS_TOKEN_CLIENT', 'The access token names no client');
  const scopes = answer.scope.split(/\s+/).filter((s) => s !== '');
  const context: AccessContext = { clientId, scopes, permissions: parseScopes(scopes.join(' ')) };
  if (typeof answer.sub === 'string') context.subject = answer.sub;
  if (typeof answer.jti === 'string') context.tokenId = answer.jti;
  if (typeof answer.exp === 'number') context.expiresAt = answer.exp;
  if (answer.patient !== undefined) context.patient = patientOf(answer.patient);
  return context;
}

function checkTimes(answer: Answer, tolerance: number, nowS: number): void {
  if (typeof answer.exp === 'number' && answer.exp + tolerance <= nowS) throw unauthorized('ERR_ACCESS_TOKEN_EXPIRED', 'The access token has expired');
  for (const claim of ['nbf', 'iat'] as const) {
    const value = answer[claim];
    if (typeof value === 'number' && value > nowS + tolerance) throw unauthorized('ERR_ACCESS_TOKEN_NOT_YET_VALID', 'The access token is not valid yet');
  }
}

function patientOf(claim: unknown): string {
  const id = typeof claim === 'string' ? claim.replace(/^Patient\//, '') : '';
  if (!PATIENT_ID.test(id)) throw unauthorized('ERR_ACCESS_TOKEN_PATIENT', 'The access token patient context is not a FHIR id');
  return id;
}
