import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { TlsConfig } from './config';
import { ConfigError, type ConfigProblem } from './config-error';

/** What both listeners are given (node:tls SecureContextOptions): one certificate, TLS 1.3 only. */
export interface TlsCredentials {
  cert: Buffer;
  key: Buffer;
  minVersion: 'TLSv1.3';
  /** Milliseconds a client has to finish its handshake (IOMT_TLS_HANDSHAKE_TIMEOUT_MS; node:tls `handshakeTimeout`). */
  handshakeTimeout: number;
  /**
   * With IOMT_TLS_CLIENT_CA_FILE: the device CA bundle; a client certificate is asked for (`requestCert`) but not
   * required (`rejectUnauthorized: false`, so JWT devices still connect). Whether a presented one chains to `ca`
   * and is within its dates is Node's check, read per connection from `socket.authorized`.
   */
  ca?: Buffer;
  requestCert?: true;
  rejectUnauthorized?: false;
}

/** Mode bits that let other users read or write the key: refused (like OpenSSH and PostgreSQL do). */
const OTHER_ACCESS = 0o007;
/** Group bits: allowed (a `root:ssl-cert 0640` key is a common least-privilege setup), but warned about. */
const GROUP_ACCESS = 0o070;

/**
 * Reads IOMT_TLS_CERT_FILE and IOMT_TLS_KEY_FILE once, at start-up, and checks them before anything listens:
 * readable, PEM, the key matching the certificate, the key not open to other users. Throws a {@link ConfigError}
 * naming the variable and the file; no message ever contains key material (only paths, modes and OpenSSL's
 * reason). The key file is the operator's: its mode is checked, never changed (unlike the keys the bridge
 * generates into its data folder, which it keeps at 0600). `warnings` are for the log (group-readable key, a
 * certificate outside its validity period).
 */
export function readTlsCredentials(tls: TlsConfig, now: Date = new Date()): { credentials: TlsCredentials; warnings: string[] } {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const cert = readPem('IOMT_TLS_CERT_FILE', tls.certFile, problems);
  const key = readPem('IOMT_TLS_KEY_FILE', tls.keyFile, problems);
  const keyMode = key === undefined ? undefined : statSync(tls.keyFile).mode & 0o777;
  if (keyMode !== undefined && process.platform !== 'win32') {
    const shown = `0${keyMode.toString(8).padStart(3, '0')}`;
    if ((keyMode & OTHER_ACCESS) !== 0) problems.push({ variable: 'IOMT_TLS_KEY_FILE', reason: `${tls.keyFile} is accessible to other users (mode ${shown}); chmod 600 (or 640 with a dedicated group)` });
    else if ((keyMode & GROUP_ACCESS) !== 0) warnings.push(`IOMT_TLS_KEY_FILE: ${tls.keyFile} is readable by its group (mode ${shown}); 0600 is the least privilege`);
  }
  const certificate = cert === undefined ? undefined : parse('IOMT_TLS_CERT_FILE', tls.certFile, problems, () => new X509Certificate(cert));
  const privateKey = key === undefined ? undefined : parse('IOMT_TLS_KEY_FILE', tls.keyFile, problems, () => createPrivateKey(key));
  if (certificate !== undefined && privateKey !== undefined && !checkPair(certificate, privateKey)) {
    problems.push({ variable: 'IOMT_TLS_KEY_FILE', reason: `${tls.keyFile} is not the private key of the certificate in ${tls.certFile}` });
  }
  const ca = tls.clientCaFile === undefined ? undefined : readClientCa(tls.clientCaFile, problems);
  if (problems.length > 0 || cert === undefined || key === undefined) throw new ConfigError(problems);
  if (certificate !== undefined && (now < new Date(certificate.validFrom) || now > new Date(certificate.validTo))) {
    warnings.push(`IOMT_TLS_CERT_FILE: the certificate in ${tls.certFile} is valid from ${certificate.validFrom} to ${certificate.validTo} only`);
  }
  const credentials: TlsCredentials = { cert, key, minVersion: 'TLSv1.3', handshakeTimeout: tls.handshakeTimeoutMs };
  if (ca !== undefined) Object.assign(credentials, { ca, requestCert: true, rejectUnauthorized: false });
  return { credentials, warnings };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** IOMT_TLS_CLIENT_CA_FILE: one or more PEM certificates, each a CA (basicConstraints CA:TRUE). */
function readClientCa(file: string, problems: ConfigProblem[]): Buffer | undefined {
  const pem = readPem('IOMT_TLS_CLIENT_CA_FILE', file, problems);
  if (pem === undefined) return undefined;
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    problems.push({ variable: 'IOMT_TLS_CLIENT_CA_FILE', reason: `${file} holds no PEM certificate` });
    return undefined;
  }
  for (const block of blocks) {
    const certificate = parse('IOMT_TLS_CLIENT_CA_FILE', file, problems, () => new X509Certificate(block));
    if (certificate !== undefined && !certificate.ca) {
      problems.push({ variable: 'IOMT_TLS_CLIENT_CA_FILE', reason: `${file} holds a certificate that is not a CA (${certificate.subject.replace(/\n/g, ', ')})` });
    }
  }
  return pem;
}

function readPem(variable: string, file: string, problems: ConfigProblem[]): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (e) {
    problems.push({ variable, reason: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return undefined;
  }
}

/** Parses with node:crypto; its messages are OpenSSL reasons (e.g. `unsupported`), never the file's content. */
function parse<T>(variable: string, file: string, problems: ConfigProblem[], make: () => T): T | undefined {
  try {
    return make();
  } catch (e) {
    const what = variable === 'IOMT_TLS_KEY_FILE' ? 'an unencrypted PEM private key' : 'a PEM certificate';
    problems.push({ variable, reason: `${file} is not ${what} (${(e as Error).message})` });
    return undefined;
  }
}

function checkPair(certificate: X509Certificate, privateKey: KeyObject): boolean {
  try {
    return certificate.checkPrivateKey(privateKey);
  } catch {
    return false; // different key types (an RSA key for an EC certificate)
  }
}
