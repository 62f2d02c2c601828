import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway self-signed certificate for `localhost` / 127.0.0.1 (P-256, one day), made by the openssl CLI. */
export interface TlsFixture {
  dir: string;
  certFile: string;
  /** Its private key, mode 0600. */
  keyFile: string;
  /** The certificate as a client's `ca` (self-signed: it is its own root). */
  ca: Buffer;
  /** A second, unrelated pair: its key does not match `certFile`. */
  otherCertFile: string;
  otherKeyFile: string;
  cleanup(): void;
}

function selfSigned(dir: string, name: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt.pem`);
  const keyFile = join(dir, `${name}.key.pem`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'pipe' });
  chmodSync(keyFile, 0o600);
  return { certFile, keyFile };
}

/** Generates the pairs into a new temporary folder; nothing is committed (`cleanup` removes it). */
export function createTlsFixture(): TlsFixture {
  const dir = mkdtempSync(join(tmpdir(), 'iomt-tls-'));
  const main = selfSigned(dir, 'bridge');
  const other = selfSigned(dir, 'other');
  return {
    dir, ...main, ca: readFileSync(main.certFile), otherCertFile: other.certFile, otherKeyFile: other.keyFile,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A device's client certificate and key (PEM) as a TLS client presents them. */
export interface DeviceCertificate {
  certFile: string;
  cert: Buffer;
  key: Buffer;
}

/**
 * A throwaway device CA (the IOMT_TLS_CLIENT_CA_FILE), certificates it signs, and certificates of an unrelated CA,
 * made by the openssl CLI into a new temporary folder (nothing is committed; `cleanup` removes it).
 */
export interface DeviceCaFixture {
  dir: string;
  /** The device CA's certificate: IOMT_TLS_CLIENT_CA_FILE. */
  caFile: string;
  /** A client certificate (CN = `name`, clientAuth) signed by the device CA; `days` -1 makes an expired one. */
  issue(name: string, days?: number): DeviceCertificate;
  /** The same, signed by another CA the bridge does not trust. */
  issueByOtherCa(name: string): DeviceCertificate;
  cleanup(): void;
}

function makeCa(dir: string, name: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.ca.pem`);
  const keyFile = join(dir, `${name}.ca.key.pem`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name} device CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'pipe' });
  return { certFile, keyFile };
}

function signClient(dir: string, ca: { certFile: string; keyFile: string }, name: string, days: number): DeviceCertificate {
  const keyFile = join(dir, `${name}.key.pem`);
  const csr = join(dir, `${name}.csr`);
  const certFile = join(dir, `${name}.crt.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', keyFile, '-out', csr], { stdio: 'pipe' });
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-days', String(days), '-extfile', ext, '-out', certFile], { stdio: 'pipe' });
  return { certFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

export function createDeviceCaFixture(): DeviceCaFixture {
  const dir = mkdtempSync(join(tmpdir(), 'iomt-device-ca-'));
  const ca = makeCa(dir, 'trusted');
  const other = makeCa(dir, 'other');
  return {
    dir, caFile: ca.certFile,
    issue: (name, days = 1) => signClient(dir, ca, name, days),
    issueByOtherCa: (name) => signClient(dir, other, `${name}.other`, 1),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
