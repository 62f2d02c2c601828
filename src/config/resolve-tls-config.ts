import type { TlsConfig } from './config';
import type { ConfigProblem } from './config-error';

/** Node's https default is 120 s; a client gets 10 s to finish its handshake. */
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * IOMT_TLS_CERT_FILE and IOMT_TLS_KEY_FILE: both (TLS on) or neither (plain TCP). One without the other is a
 * mistake worth stopping for — falling back to plain TCP would silently expose what the operator meant to protect.
 * IOMT_TLS_CLIENT_CA_FILE (device certificates, mTLS) only with TLS on: alone, it is refused rather than ignored.
 * The files are not read here (this stays pure): readTlsCredentials does that once, at start-up.
 */
export function resolveTlsConfig(values: ReadonlyMap<string, unknown>, problems: ConfigProblem[]): TlsConfig | undefined {
  const certFile = values.get('IOMT_TLS_CERT_FILE') as string | undefined;
  const keyFile = values.get('IOMT_TLS_KEY_FILE') as string | undefined;
  const clientCaFile = values.get('IOMT_TLS_CLIENT_CA_FILE') as string | undefined;
  const handshakeTimeoutMs = (values.get('IOMT_TLS_HANDSHAKE_TIMEOUT_MS') as number | undefined) ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (certFile !== undefined && keyFile !== undefined) {
    return clientCaFile === undefined ? { certFile, keyFile, handshakeTimeoutMs } : { certFile, keyFile, clientCaFile, handshakeTimeoutMs };
  }
  // Client certificates are part of a TLS handshake: without TLS there is none to ask for.
  if (clientCaFile !== undefined && certFile === undefined && keyFile === undefined) {
    problems.push({ variable: 'IOMT_TLS_CLIENT_CA_FILE', reason: 'needs TLS on (IOMT_TLS_CERT_FILE and IOMT_TLS_KEY_FILE): client certificates are only asked for in a TLS handshake' });
  }
  if (certFile !== undefined) problems.push({ variable: 'IOMT_TLS_KEY_FILE', reason: 'is required with IOMT_TLS_CERT_FILE (TLS needs both the certificate and its key)' });
  if (keyFile !== undefined) problems.push({ variable: 'IOMT_TLS_CERT_FILE', reason: 'is required with IOMT_TLS_KEY_FILE (TLS needs both the certificate and its key)' });
  return undefined;
}
