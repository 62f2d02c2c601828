import { timingSafeEqual } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors, importJWK, jwtVerify, type JWTPayload } from 'jose';
import { FhirError, unauthorized } from '../errors/fhir-error';
import type { RegisteredDevice } from '../store/port';
import { bodySha256 } from './body-sha256';

export interface AuthenticateDeviceOptions {
  /** The bridge's public base + `/ingest` (the same value whichever mapping path is posted to). */
  audience: string;
  /** Registry look-up; the ONLY source of device keys. */
  getDevice: (id: string) => Promise<RegisteredDevice | undefined>;
  /** Clock in milliseconds; default `Date.now`. */
  now?: () => number;
  clockToleranceSeconds: number;
  /** Longest accepted `exp − now`, in seconds (300 by default in config). */
  maxLifetimeSeconds: number;
  /**
   * Called once the signature has verified with the registry key, before the remaining checks (revocation,
   * lifetime, jti, body hash): a refusal after this point can still be audited under the proven device.
   */
  onVerified?: (device: RegisteredDevice) => void;
}

export interface AuthenticatedDevice {
  /** The registry entry named by the verified `iss` — never anything taken from the body. */
  device: RegisteredDevice;
  /** For the caller's replay check and for IngestCommit.jti. */
  jti: string;
  /** Token `exp`, epoch seconds; the jti row may be pruned after it. */
  expiresAt: number;
}

const MAX_TOKEN_LENGTH = 8192;
const MAX_JTI_LENGTH = 200;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** RFC 8725 §3.10 / RFC 7515 §4.1.2–4.1.6: keys are never taken from the token itself. */
const KEY_HEADERS = ['jku', 'x5u', 'x5c', 'jwk'] as const;

/**
 * Authenticates a device POST: `Authorization: Bearer <JWT>` signed ES256 with the key registered for
 * the device named by `iss`, `aud` = the ingest audience, a short `exp`, a `jti`, and `body_sha256`
 * binding the token to the exact body bytes (SECURITY-CASES 17, 44; RFC 8725).
 *
 * Errors (FhirError): 401 with `WWW-Authenticate` — ERR_DEVICE_TOKEN_MISSING, _MALFORMED, _ALG,
 * _KEY_HEADER, _TYPE, _SIGNATURE, _EXPIRED, _NOT_YET_VALID, _AUDIENCE, _CLAIMS, _LIFETIME, _JTI,
 * _BODY_HASH, ERR_DEVICE_UNKNOWN; 403 ERR_DEVICE_REVOKED (only after the signature verified).
 * The jti replay check is the caller's (against the store).
 *
 * `rawBody` null: a token that binds no body — the MQTT CONNECT password (src/mqtt/authenticate-connect.ts),
 * whose audience (`<public base>/mqtt`) no ingest request accepts; every ingest request passes its body.
 */
export async function authenticateDevice(
  authorization: string | undefined,
  rawBody: Buffer | null,
  options: AuthenticateDeviceOptions,
): Promise<AuthenticatedDevice> {
  const token = bearerToken(authorization);
  checkHeader(token);
  const deviceId = unverifiedIssuer(token);
  const device = await options.getDevice(deviceId);
  if (device === undefined || device.id !== deviceId) {
    throw unauthorized('ERR_DEVICE_UNKNOWN', 'The device is not registered');
  }
  const nowMs = (options.now ?? Date.now)();
  const payload = await verifyWithRegistryKey(token, device, options, nowMs);
  options.onVerified?.(device);
  if (device.status !== 'active') {
    throw FhirError.of('ERR_DEVICE_REVOKED', { code: 'forbidden', text: 'The device has been revoked' }, { status: 403 });
  }
  const expiresAt = checkTimes(payload, Math.floor(nowMs / 1000), options);
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw unauthorized('ERR_DEVICE_TOKEN_JTI', `The token needs a "jti" string of 1..${MAX_JTI_LENGTH} characters`);
  }
  if (rawBody !== null) checkBodyHash(payload, rawBody);
  return { device, jti, expiresAt };
}

function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization ?? '');
  if (match === null) throw unauthorized('ERR_DEVICE_TOKEN_MISSING', 'A device token is required (Authorization: Bearer)');
  const token = match[1] as string;
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
    throw unauthorized('ERR_DEVICE_TOKEN_MALFORMED', 'The device token is not a compact signed JWT');
  }
  return token;
}

function checkHeader(token: string): void {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw unauthorized('ERR_DEVICE_TOKEN_MALFORMED', 'The device token header is not valid JSON');
  }
  if (KEY_HEADERS.some((h) => Object.hasOwn(header, h))) {
    throw unauthorized('ERR_DEVICE_TOKEN_KEY_HEADER', 'Key-bearing headers (jku, x5u, x5c, jwk) are refused');
  }
  if (header.alg !== 'ES256') throw unauthorized('ERR_DEVICE_TOKEN_ALG', 'Device tokens must be signed ES256');
  if (header.typ !== undefined && header.typ.toUpperCase() !== 'JWT') {
    throw unauthorized('ERR_DEVICE_TOKEN_TYPE', 'The token type must be JWT');
  }
}

function unverifiedIssuer(token: string): string {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    throw unauthorized('ERR_DEVICE_TOKEN_MALFORMED', 'The device token payload is not a JSON object');
  }
  if (typeof claims.iss !== 'string' || claims.iss === '') {
    throw unauthorized('ERR_DEVICE_TOKEN_MALFORMED', 'The device token needs "iss" = the device id');
  }
  return claims.iss;
}

async function verifyWithRegistryKey(
  token: string,
  device: RegisteredDevice,
  options: AuthenticateDeviceOptions,
  nowMs: number,
): Promise<JWTPayload> {
  const key = await registryKey(publicPart(device));
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ['ES256'],
      issuer: device.id,
      audience: options.audience,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: options.clockToleranceSeconds,
      currentDate: new Date(nowMs),
    });
    return payload;
  } catch (e) {
    throw mapJoseError(e);
  }
}

type PublicEcJwk = { kty: string; crv: string; x: string; y: string };
type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

/** Imported registry keys by their own coordinates: importing is a fair share of a request's cost otherwise. */
const importedKeys = new Map<string, Promise<VerifyKey>>();
const MAX_IMPORTED_KEYS = 10_000;

/**
 * The registry key, imported once. Keyed by the key material itself, so a device registered again with a new
 * key gets the new one; whether the device may still send (revocation) is read from the registry every time.
 */
function registryKey(jwk: PublicEcJwk): Promise<VerifyKey> {
  const id = `${jwk.x}.${jwk.y}`;
  let key = importedKeys.get(id);
  if (key === undefined) {
    if (importedKeys.size >= MAX_IMPORTED_KEYS) importedKeys.delete(importedKeys.keys().next().value as string);
    key = importJWK(jwk, 'ES256');
    importedKeys.set(id, key);
    key.catch(() => importedKeys.delete(id)); // a key that fails to import is not remembered
  }
  return key;
}

/** Only the public members of the registry key: a stray `d` must never turn verification into signing. */
function publicPart(device: RegisteredDevice): PublicEcJwk {
  // A certificate-only device has no key a token could be verified with: the token cannot be its.
  if (device.publicJwk === undefined) throw unauthorized('ERR_DEVICE_TOKEN_SIGNATURE', 'The device is registered without a key: it authenticates by certificate');
  const { kty, crv, x, y } = device.publicJwk;
  if (kty !== 'EC' || crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string') {
    throw FhirError.of('ERR_DEVICE_KEY_INVALID', { code: 'exception', text: 'The registered device key is unusable' }, { status: 500 });
  }
  return { kty, crv, x, y };
}

function mapJoseError(e: unknown): FhirError {
  if (e instanceof errors.JWTExpired) return unauthorized('ERR_DEVICE_TOKEN_EXPIRED', 'The device token has expired');
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return unauthorized('ERR_DEVICE_TOKEN_AUDIENCE', 'The device token is not meant for this endpoint');
    if (e.claim === 'nbf' || e.claim === 'iat') return unauthorized('ERR_DEVICE_TOKEN_NOT_YET_VALID', 'The device token is not valid yet');
    if (e.claim === 'jti') return unauthorized('ERR_DEVICE_TOKEN_JTI', 'The device token needs a "jti"');
    return unauthorized('ERR_DEVICE_TOKEN_CLAIMS', `The device token's "${e.claim}" claim is missing or invalid`);
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return unauthorized('ERR_DEVICE_TOKEN_SIGNATURE', 'The device token signature does not verify');
  if (e instanceof errors.JOSEAlgNotAllowed) return unauthorized('ERR_DEVICE_TOKEN_ALG', 'Device tokens must be signed ES256');
  if (e instanceof errors.JOSEError) return unauthorized('ERR_DEVICE_TOKEN_MALFORMED', 'The device token is malformed');
  throw e;
}

/** `exp` at most maxLifetime ahead; `iat`, if present, not in the future (both with the tolerance). */
function checkTimes(payload: JWTPayload, nowS: number, options: AuthenticateDeviceOptions): number {
  const exp = payload.exp as number; // required and numeric: checked by jwtVerify
  if (exp > nowS + options.maxLifetimeSeconds + options.clockToleranceSeconds) {
    throw unauthorized('ERR_DEVICE_TOKEN_LIFETIME', `Device tokens may live at most ${options.maxLifetimeSeconds} s`);
  }
  if (payload.iat !== undefined && payload.iat > nowS + options.clockToleranceSeconds) {
    throw unauthorized('ERR_DEVICE_TOKEN_NOT_YET_VALID', 'The device token was issued in the future');
  }
  return exp;
}

function checkBodyHash(payload: JWTPayload, rawBody: Buffer): void {
  const claimed = payload.body_sha256;
  const actual = Buffer.from(bodySha256(rawBody));
  if (typeof claimed !== 'string' || !sameBytes(Buffer.from(claimed), actual)) {
    throw unauthorized('ERR_DEVICE_TOKEN_BODY_HASH', 'The body does not match the token (body_sha256)');
  }
}

const sameBytes = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);
