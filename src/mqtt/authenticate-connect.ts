import { buildIngestAuditEvent } from '../audit';
import { FhirError } from '../errors/fhir-error';
import { authenticateCertificate, authenticateDevice, checkCertificateAgrees, type IngestDeps, type PresentedCertificate } from '../ingest';
import { CONNACK, checkConnect, type ConnackRefusal, type ConnectFacts } from './acl';

/** A CONNECT as the embedded broker received it. */
export interface ConnectAttempt extends ConnectFacts {
  password?: Buffer;
  /** The connection's mTLS client certificate (IOMT_TLS_CLIENT_CA_FILE), when one was presented. */
  certificate?: PresentedCertificate;
  sourceAddress?: string;
  requestId: string;
}

export type ConnectVerdict =
  | { ok: true; deviceId: string }
  | { ok: false; returnCode: ConnackRefusal; code: string; deviceId?: string; text: string };

export interface ConnectDeps extends Pick<IngestDeps, 'store' | 'now'> {
  /** `<public base>/mqtt`: the `aud` of CONNECT passwords (never the ingest audience). */
  audience: string;
  clockToleranceSeconds: number;
  maxLifetimeSeconds: number;
}

/** Token refusals that are the credential's fault (0x04); a revoked device is not authorized (0x05). */
const RETURN_CODE_BY_STATUS: Readonly<Record<number, ConnackRefusal>> = { 401: CONNACK.BAD_USERNAME_OR_PASSWORD, 403: CONNACK.NOT_AUTHORIZED };

/**
 * Authenticates an MQTT CONNECT: client id = username = the device id, password = a JWT the device signed with
 * its registry key (ES256, `aud` = `<public base>/mqtt`, `exp` at most the device-token lifetime ahead, `jti`
 * used once). The jti and the audit entry are committed together; every attempt is audited, accepted or not.
 * A store failure answers 0x03 "Server unavailable" (the device retries); nothing is thrown.
 *
 * Over TLS with a client certificate (docs/mqtt.md): no password — the certificate's registered device is the
 * one, and the username must be its id (0x04 otherwise; 0x05 revoked), nothing recorded but the audit entry (there
 * is no jti). With a password too, the token authenticates as above and the certificate must name the same device.
 * See: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc385349242 (§3.1.3.4–5 User Name, Password)
 */
export async function authenticateConnect(deps: ConnectDeps, attempt: ConnectAttempt): Promise<ConnectVerdict> {
  let deviceId: string | undefined;
  const verdict = await verify(deps, attempt, (id) => { deviceId = id; });
  const audit = buildIngestAuditEvent({
    deviceId: verdict.ok ? verdict.deviceId : deviceId ?? 'unauthenticated', outcome: verdict.ok ? 'success' : verdict.returnCode === CONNACK.SERVER_UNAVAILABLE ? 'error' : 'failure',
    recorded: new Date(deps.now()), requestId: attempt.requestId, sourceAddress: attempt.sourceAddress,
    description: `MQTT CONNECT (client id '${attempt.clientId.slice(0, 64)}')`, errorCode: verdict.ok ? undefined : verdict.code,
  });
  try {
    if (verdict.ok) {
      // RFC 7519 §4.1.7: the jti is recorded with the audit entry, in one transaction; a second use is a replay.
      if (verdict.jti !== undefined) await deps.store.commitIngest({ deviceId: verdict.deviceId, jti: verdict.jti, jtiExpiresAt: verdict.expiresAt, resources: [], audit });
      else await deps.store.appendAudit(audit);
      return { ok: true, deviceId: verdict.deviceId };
    }
    await deps.store.appendAudit(audit);
    return { ...verdict, deviceId };
  } catch (error) {
    if (error instanceof FhirError && error.code === 'ERR_JTI_REPLAYED') return replayed(deps, attempt, deviceId);
    return { ok: false, returnCode: CONNACK.SERVER_UNAVAILABLE, code: 'ERR_STORE_UNAVAILABLE', deviceId, text: 'The bridge cannot record the connection now' };
  }
}

type Verified = { ok: true; deviceId: string; jti?: string; expiresAt?: number } | { ok: false; returnCode: ConnackRefusal; code: string; text: string };

async function verify(deps: ConnectDeps, attempt: ConnectAttempt, onVerified: (id: string) => void): Promise<Verified> {
  // A client certificate stands in for the password (MQTT 3.1.1 §3.1.2.9 allows a username without one).
  const refusal = checkConnect({ ...attempt, hasPassword: attempt.hasPassword || attempt.certificate !== undefined });
  if (refusal !== undefined) return { ok: false, returnCode: refusal.returnCode ?? CONNACK.NOT_AUTHORIZED, code: refusal.code, text: refusal.text };
  const byThumbprint = { getDeviceByThumbprint: (t: string) => deps.store.getDeviceByThumbprint(t), onVerified: (device: { id: string }) => onVerified(device.id) };
  try {
    if (attempt.password === undefined) {
      const device = await authenticateCertificate(attempt.certificate as PresentedCertificate, byThumbprint);
      if (device.id !== attempt.username) {
        return { ok: false, returnCode: CONNACK.BAD_USERNAME_OR_PASSWORD, code: 'ERR_MQTT_USERNAME_MISMATCH', text: 'The client certificate is registered for another device' };
      }
      return { ok: true, deviceId: device.id };
    }
    const password = (attempt.password as Buffer).toString('latin1');
    const auth = await authenticateDevice(`Bearer ${password}`, null, {
      audience: deps.audience, getDevice: (id) => deps.store.getDevice(id), now: deps.now,
      clockToleranceSeconds: deps.clockToleranceSeconds, maxLifetimeSeconds: deps.maxLifetimeSeconds,
      onVerified: (device) => onVerified(device.id),
    });
    if (auth.device.id !== attempt.username) {
      return { ok: false, returnCode: CONNACK.BAD_USERNAME_OR_PASSWORD, code: 'ERR_MQTT_USERNAME_MISMATCH', text: 'The token was signed by another device' };
    }
    checkCertificateAgrees(attempt.certificate, auth.device);
    if (await deps.store.hasJti(auth.device.id, auth.jti)) {
      return { ok: false, returnCode: CONNACK.BAD_USERNAME_OR_PASSWORD, code: 'ERR_JTI_REPLAYED', text: 'This CONNECT token has already been used' };
    }
    return { ok: true, deviceId: auth.device.id, jti: auth.jti, expiresAt: auth.expiresAt };
  } catch (error) {
    if (!(error instanceof FhirError) || error.status >= 500) {
      return { ok: false, returnCode: CONNACK.SERVER_UNAVAILABLE, code: error instanceof FhirError ? error.code : 'ERR_INTERNAL', text: 'The bridge cannot verify the connection now' };
    }
    return { ok: false, returnCode: RETURN_CODE_BY_STATUS[error.status] ?? CONNACK.NOT_AUTHORIZED, code: error.code, text: error.message };
  }
}

async function replayed(deps: ConnectDeps, attempt: ConnectAttempt, deviceId: string | undefined): Promise<ConnectVerdict> {
  // The commit that lost the race wrote nothing; its refusal is audited on its own.
  await deps.store.appendAudit(buildIngestAuditEvent({
    deviceId: deviceId ?? 'unauthenticated', outcome: 'failure', recorded: new Date(deps.now()), requestId: attempt.requestId,
    sourceAddress: attempt.sourceAddress, errorCode: 'ERR_JTI_REPLAYED', description: 'MQTT CONNECT',
  })).catch(() => undefined);
  return { ok: false, returnCode: CONNACK.BAD_USERNAME_OR_PASSWORD, code: 'ERR_JTI_REPLAYED', deviceId, text: 'This CONNECT token has already been used' };
}
