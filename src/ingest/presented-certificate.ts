import { createHash } from 'node:crypto';
import { TLSSocket } from 'node:tls';

/** A client certificate as the TLS handshake left it: Node's verdict and the certificate's thumbprint. */
export interface PresentedCertificate {
  /**
   * `socket.authorized`: the certificate chains to IOMT_TLS_CLIENT_CA_FILE and is within its dates (Node checks,
   * the bridge reads). An unauthorized certificate identifies nobody.
   */
  authorized: boolean;
  /** {@link certificateThumbprint} of its DER. */
  thumbprint: string;
}

/**
 * The SHA-256 thumbprint of a certificate: base64url (no padding) of the hash of its DER encoding, as JWK
 * `x5t#S256` (RFC 7517 §4.9) and RFC 8705 §3.1's `x5t#S256` confirmation. The registry stores this, never a name.
 * @example certificateThumbprint(new X509Certificate(pem).raw) // 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo'
 */
export function certificateThumbprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('base64url');
}

/**
 * The client certificate of a connection, or undefined when there is none: a plain TCP socket, or a TLS client
 * that sent no certificate (Node's `getPeerCertificate()` is then an empty object).
 */
export function presentedCertificate(socket: unknown): PresentedCertificate | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const peer = socket.getPeerCertificate();
  if (peer === null || typeof peer !== 'object' || !Buffer.isBuffer(peer.raw)) return undefined;
  return { authorized: socket.authorized, thumbprint: certificateThumbprint(peer.raw) };
}
