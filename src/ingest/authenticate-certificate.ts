import { FhirError, unauthorized } from '../errors/fhir-error';
import type { RegisteredDevice } from '../store/port';
import type { PresentedCertificate } from './presented-certificate';

export interface AuthenticateCertificateOptions {
  /** Registry look-up by thumbprint; the ONLY way a certificate names a device. */
  getDeviceByThumbprint: (thumbprint: string) => Promise<RegisteredDevice | undefined>;
  /** Called once the certificate named a registered device, before the revocation check (so that is audited as it). */
  onVerified?: (device: RegisteredDevice) => void;
}

/**
 * Authenticates a device by its mTLS client certificate (SECURITY-CASES 18): the TLS layer proved possession of
 * the key and checked chain and dates against IOMT_TLS_CLIENT_CA_FILE (`authorized`); the registry entry with the
 * certificate's SHA-256 thumbprint is the device. Subject names are never read: a CA can issue the same name twice.
 *
 * Errors (FhirError): 401 ERR_DEVICE_CERT_UNTRUSTED (not issued by the device CA, expired, not yet valid),
 * 401 ERR_DEVICE_CERT_UNKNOWN (trusted but registered for no device), 403 ERR_DEVICE_REVOKED.
 */
export async function authenticateCertificate(certificate: PresentedCertificate, options: AuthenticateCertificateOptions): Promise<RegisteredDevice> {
  if (!certificate.authorized) {
    throw unauthorized('ERR_DEVICE_CERT_UNTRUSTED', 'The client certificate is not issued by a trusted device CA, or is outside its validity period');
  }
  const device = await options.getDeviceByThumbprint(certificate.thumbprint);
  if (device === undefined || device.certThumbprint !== certificate.thumbprint) {
    throw unauthorized('ERR_DEVICE_CERT_UNKNOWN', 'No device is registered with this client certificate');
  }
  options.onVerified?.(device);
  if (device.status !== 'active') {
    throw FhirError.of('ERR_DEVICE_REVOKED', { code: 'forbidden', text: 'The device has been revoked' }, { status: 403 });
  }
  return device;
}

/**
 * Both a token and an authorized certificate: they must name the same device (a token of device A must not ride on
 * device B's connection). Called after the token verified; an unauthorized certificate counts for nothing.
 * The token's device was just read from the registry, and a thumbprint is registered for one device at most
 * (unique in the store): so the certificate names this device exactly when it carries this thumbprint — no second look-up.
 */
export function checkCertificateAgrees(certificate: PresentedCertificate | undefined, device: RegisteredDevice): void {
  if (certificate === undefined || !certificate.authorized) return;
  if (device.certThumbprint !== certificate.thumbprint) {
    throw unauthorized('ERR_DEVICE_CERT_MISMATCH', 'The client certificate and the device token name different devices');
  }
}
