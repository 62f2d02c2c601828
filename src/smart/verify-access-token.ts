import { decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type ProtectedHeaderParameters } from 'jose';
import { unauthorized } from '../errors/fhir-error';
import { accessTokenErrorOf } from './access-token-errors';
import type { AccessContext } from './contracts';
import { parseScopes } from './scopes';

export interface AccessTokenVerifierOptions {
  issuer: string;
  /** This FHIR server's base URL (the `aud` the token must carry). */
  audience: string;
  /** The issuer's keys: {@link jwksFromFile}, {@link jwksFromUrl} or `devIssuerJwks`. */
  keys: JWTVerifyGetKey;
  /** Asymmetric algorithms only; default RS256, RS384, ES256, ES384. */
  algorithms?: string[];
  clockToleranceSeconds: number;
  /** Clock in milliseconds; default `Date.now`. */
  now?: () => number;
}

export const DEFAULT_ACCESS_TOKEN_ALGORITHMS: readonly string[] = Object.freeze(['RS256', 'RS384', 'ES256', 'ES384']);
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;
const MAX_TOKEN_LENGTH = 16_384;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** RFC 8725 §3.10: keys come from our configuration only; key-bearing headers are never followed. */
const KEY_HEADERS = ['jku', 'x5u', 'x5c', 'jwk'] as const;
/** Opaque key ids as issuers use them; no `/`, quotes or spaces, so a kid can never be a path or SQL. */
const SAFE_KID = /^[A-Za-z0-9._~+=-]{1,128}$/;
/** RFC 9068 §2.1: `at+jwt`; plain `JWT` from issuers that predate it. */
const ACCEPTED_TYP: ReadonlySet<string> = new Set(['jwt', 'at+jwt', 'application/at+jwt']);
const PATIENT_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * Builds the verifier of SMART access tokens presented to the FHIR API (SECURITY-CASES 1–11).
 * Throws at once (a start-up error) if `algorithms` contains anything but asymmetric algorithms.
 *
 * The returned function resolves to the {@link AccessContext}, or rejects with a 401 FhirError
 * (`WWW-Authenticate: Bearer error="invalid_token"`): ERR_ACCESS_TOKEN_MALFORMED, _ALG, _KEY_HEADER, _KID,
 * _TYPE, _SIGNATURE, _EXPIRED, _NOT_YET_VALID, _AUDIENCE, _ISSUER, _CLAIMS, _SCOPE, _CLIENT, _PATIENT;
 * or 503 ERR_JWKS_UNAVAILABLE when the issuer's key set cannot be fetched.
 * See: https://www.rfc-editor.org/rfc/rfc8725, https://www.rfc-editor.org/rfc/rfc9068
 * @example
 * const verify = createAccessTokenVerifier({ issuer, audience: 'https://bridge/fhir', keys, clockToleranceSeconds: 30 });
 * const ctx = await verify(token);
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): (token: string) => Promise<AccessContext> {
  const algorithms = [...(options.algorithms ?? DEFAULT_ACCESS_TOKEN_ALGORITHMS)];
  const bad = algorithms.find((a) => !ASYMMETRIC.test(a));
  if (algorithms.length === 0 || bad !== undefined) {
    throw new TypeError(`Access token algorithms must be asymmetric (refused: ${bad ?? 'empty list'})`);
  }
  return async (token: string): Promise<AccessContext> => {
    checkShape(token);
    checkHeader(token, algorithms);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, options.keys, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp'],
        clockTolerance: options.clockToleranceSeconds,
        currentDate: new Date((options.now ?? Date.now)()),
      }));
    } catch (e) {
      throw accessTokenErrorOf(e);
    }
    return contextOf(payload, options);
  };
}

function checkShape(token: string): void {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
    throw unauthorized('ERR_ACCESS_TOKEN_MALFORMED', 'The access token is not a compact signed JWT');
  }
}

function checkHeader(token: string, algorithms: readonly string[]): void {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw unauthorized('ERR_ACCESS_TOKEN_MALFORMED', 'The access token header is not valid JSON');
  }
  if (KEY_HEADERS.some((h) => Object.hasOwn(header, h))) {
    throw unauthorized('ERR_ACCESS_TOKEN_KEY_HEADER', 'Key-bearing headers (jku, x5u, x5c, jwk) are refused');
  }
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw unauthorized('ERR_ACCESS_TOKEN_ALG', 'The access token algorithm is not accepted');
  }
  if (header.kid !== undefined && (typeof header.kid !== 'string' || !SAFE_KID.test(header.kid) || header.kid.includes('..'))) {
    throw unauthorized('ERR_ACCESS_TOKEN_KID', 'The access token key id is not acceptable');
  }
  if (header.typ !== undefined && (typeof header.typ !== 'string' || !ACCEPTED_TYP.has(header.typ.toLowerCase()))) {
    throw unauthorized('ERR_ACCESS_TOKEN_TYPE', 'The token is not an access token (typ)');
  }
}

/** Claims → AccessContext, refusing tokens of other kinds (SECURITY-CASES 11). */
function contextOf(payload: JWTPayload, options: AccessTokenVerifierOptions): AccessContext {
  const nowS = Math.floor((options.now ?? Date.now)() / 1000);
  if (typeof payload.iat === 'number' && payload.iat > nowS + options.clockToleranceSeconds) {
    throw unauthorized('ERR_ACCESS_TOKEN_NOT_YET_VALID', 'The access token was issued in the future');
  }
  if (Object.hasOwn(payload, 'body_sha256')) throw unauthorized('ERR_ACCESS_TOKEN_TYPE', 'A device token is not an access token');
  const scopes = scopesOf(payload.scope);
  if (scopes === undefined) {
    const idToken = Object.hasOwn(payload, 'nonce');
    throw unauthorized(idToken ? 'ERR_ACCESS_TOKEN_TYPE' : 'ERR_ACCESS_TOKEN_SCOPE', idToken ? 'An id_token is not an access token' : 'The access token carries no scope');
  }
  const clientId = [payload.client_id, payload.azp, payload.sub].find((v): v is string => typeof v === 'string' && v !== '');
  if (clientId === undefined) throw unauthorized('ERR_ACCESS_TOKEN_CLIENT', 'The access token names no client');
  const context: AccessContext = { clientId, scopes, permissions: parseScopes(scopes.join(' ')) };
  if (typeof payload.sub === 'string') context.subject = payload.sub;
  if (typeof payload.jti === 'string') context.tokenId = payload.jti;
  const patient = patientOf(payload.patient);
  if (patient !== undefined) context.patient = patient;
  return context;
}

/** `scope` is a space-separated string (RFC 9068 §2.2.3); some servers send an array of strings. */
function scopesOf(scope: unknown): string[] | undefined {
  const list = typeof scope === 'string' ? scope.split(' ') : Array.isArray(scope) ? scope : undefined;
  if (list === undefined || !list.every((s): s is string => typeof s === 'string')) return undefined;
  const scopes = list.flatMap((s) => s.split(/\s+/)).filter((s) => s !== '');
  return scopes.length > 0 ? scopes : undefined;
}

/** SMART launch context `patient`: a FHIR id (a `Patient/` prefix is tolerated). */
function patientOf(claim: unknown): string | undefined {
  if (claim === undefined) return undefined;
  const id = typeof claim === 'string' ? claim.replace(/^Patient\//, '') : '';
  if (!PATIENT_ID.test(id)) throw unauthorized('ERR_ACCESS_TOKEN_PATIENT', 'The access token patient context is not a FHIR id');
  return id;
}
