import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import { bodySha256 } from './body-sha256';

export interface SignDeviceTokenOptions {
  /** The device's private ES256 JWK (P-256). */
  privateJwk: JWK;
  deviceId: string;
  /** The bridge's public base + `/ingest`. */
  audience: string;
  /**
   * The exact bytes that will be sent as the request body (`body_sha256`). Absent: a token that binds no body —
   * the MQTT CONNECT password, whose audience is `<public base>/mqtt` (src/mqtt/authenticate-connect.ts).
   */
  body?: Buffer | string;
  /** Default 120; the bridge refuses more than its `maxLifetimeSeconds` (300). */
  lifetimeSeconds?: number;
  /** Default a random UUID; must be unique per message for replay detection. */
  jti?: string;
  /** Clock in milliseconds; default `Date.now`. */
  now?: () => number;
}

/**
 * The reference device client: signs the ES256 JWT a device sends as `Authorization: Bearer …`
 * to POST a body to the ingest endpoint. Used by the CLI and the end-to-end tests.
 * @example
 * const token = await signDeviceToken({ privateJwk, deviceId: 'pump-7', audience: 'https://bridge/ingest', body });
 */
export async function signDeviceToken(options: SignDeviceTokenOptions): Promise<string> {
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const key = await importJWK(options.privateJwk, 'ES256');
  return new SignJWT(options.body === undefined ? {} : { body_sha256: bodySha256(options.body) })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setIssuer(options.deviceId)
    .setAudience(options.audience)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + (options.lifetimeSeconds ?? 120))
    .setJti(options.jti ?? randomUUID())
    .sign(key);
}
