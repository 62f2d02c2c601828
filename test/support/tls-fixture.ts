import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
