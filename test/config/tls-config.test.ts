import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, readTlsCredentials, withListeningPort } from '../../src/config';
import { createDeviceCaFixture, createTlsFixture, type DeviceCaFixture, type TlsFixture } from '../support/tls-fixture';

/**
 * IOMT_TLS_CERT_FILE / IOMT_TLS_KEY_FILE: both or neither; with both, the public URL default is https; the files
 * are read once (readTlsCredentials) and a bad pair stops start-up naming the variable and the file.
 */

const cwd = '/srv/bridge';
const packageRoot = '/opt/iomt-bridge';
let fx: TlsFixture;
let devices: DeviceCaFixture;

beforeAll(() => { fx = createTlsFixture(); devices = createDeviceCaFixture(); });
afterAll(() => { fx.cleanup(); devices.cleanup(); });

function thrown(run: () => unknown): ConfigError {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig with IOMT_TLS_*', () => {
  it('has no tls and an http default public URL without the variables', () => {
    const config = loadConfig({}, { cwd, packageRoot });
    expect(config.tls).toBeUndefined();
    expect(config.publicUrl).toBe('http://localhost:8080');
  });

  it('with both files: tls (absolute paths), https default public URL, FHIR base and device token audience', () => {
    const config = loadConfig({ IOMT_TLS_CERT_FILE: 'tls/cert.pem', IOMT_TLS_KEY_FILE: '/etc/iomt/key.pem' }, { cwd, packageRoot });
    expect(config.tls).toEqual({ certFile: '/srv/bridge/tls/cert.pem', keyFile: '/etc/iomt/key.pem', handshakeTimeoutMs: 10_000 });
    expect(config).toMatchObject({
      publicUrl: 'https://localhost:8080', fhirBaseUrl: 'https://localhost:8080/fhir', ingestAudience: 'https://localhost:8080/ingest',
      devIssuerUrl: 'https://localhost:8080/dev-issuer', authAudience: 'https://localhost:8080/fhir', publicUrlIsDefault: true,
    });
    expect(Object.isFrozen(config.tls)).toBe(true);
  });

  it('keeps an explicit IOMT_PUBLIC_URL as it is', () => {
    const config = loadConfig({ IOMT_TLS_CERT_FILE: '/c.pem', IOMT_TLS_KEY_FILE: '/k.pem', IOMT_PUBLIC_URL: 'https://bridge.example.org' }, { cwd, packageRoot });
    expect(config.ingestAudience).toBe('https://bridge.example.org/ingest');
  });

  it('with IOMT_PORT=0, the port bound later gives https URLs', () => {
    const config = withListeningPort(loadConfig({ IOMT_TLS_CERT_FILE: '/c.pem', IOMT_TLS_KEY_FILE: '/k.pem', IOMT_PORT: '0' }, { cwd, packageRoot }), 8443);
    expect(config).toMatchObject({ port: 8443, publicUrl: 'https://localhost:8443', ingestAudience: 'https://localhost:8443/ingest', authAudience: 'https://localhost:8443/fhir' });
  });

  it.each([
    [{ IOMT_TLS_CERT_FILE: '/c.pem' }, 'IOMT_TLS_KEY_FILE', 'is required with IOMT_TLS_CERT_FILE (TLS needs both the certificate and its key)'],
    [{ IOMT_TLS_KEY_FILE: '/k.pem' }, 'IOMT_TLS_CERT_FILE', 'is required with IOMT_TLS_KEY_FILE (TLS needs both the certificate and its key)'],
  ])('one of the pair without the other stops start-up naming the missing variable (%o)', (env, variable, reason) => {
    const error = thrown(() => loadConfig(env, { cwd, packageRoot }));
    expect(error.problems).toEqual([{ variable, reason }]);
    expect(error.message).toContain(`${variable}: ${reason}`);
  });

  it('IOMT_TLS_CLIENT_CA_FILE joins tls (absolute path); without TLS on it stops start-up naming it', () => {
    expect(loadConfig({ IOMT_TLS_CERT_FILE: '/c.pem', IOMT_TLS_KEY_FILE: '/k.pem', IOMT_TLS_CLIENT_CA_FILE: 'ca/devices.pem' }, { cwd, packageRoot }).tls)
      .toEqual({ certFile: '/c.pem', keyFile: '/k.pem', clientCaFile: '/srv/bridge/ca/devices.pem', handshakeTimeoutMs: 10_000 });
    const error = thrown(() => loadConfig({ IOMT_TLS_CLIENT_CA_FILE: '/ca.pem' }, { cwd, packageRoot }));
    expect(error.problems).toEqual([{ variable: 'IOMT_TLS_CLIENT_CA_FILE', reason: expect.stringMatching(/^needs TLS on \(IOMT_TLS_CERT_FILE and IOMT_TLS_KEY_FILE\)/) }]);
  });

  it('reads the pair from the JSON config file too, relative to it', () => {
    const file = join(fx.dir, 'config.json');
    writeFileSync(file, JSON.stringify({ IOMT_TLS_CERT_FILE: 'bridge.crt.pem', IOMT_TLS_KEY_FILE: 'bridge.key.pem' }));
    expect(loadConfig({ IOMT_CONFIG_FILE: file }, { cwd, packageRoot }).tls).toEqual({ certFile: fx.certFile, keyFile: fx.keyFile, handshakeTimeoutMs: 10_000 });
  });
});

describe('readTlsCredentials', () => {
  it('returns the PEM bytes and TLS 1.3 as the minimum, with no warning for a 0600 key', () => {
    const { credentials, warnings } = readTlsCredentials({ certFile: fx.certFile, keyFile: fx.keyFile, handshakeTimeoutMs: 10_000 });
    expect(credentials).toEqual({ cert: readFileSync(fx.certFile), key: readFileSync(fx.keyFile), minVersion: 'TLSv1.3', handshakeTimeout: 10_000 });
    expect(warnings).toEqual([]);
  });

  it('with IOMT_TLS_CLIENT_CA_FILE: the CA bundle, a client certificate requested but not required', () => {
    const { credentials } = readTlsCredentials({ certFile: fx.certFile, keyFile: fx.keyFile, clientCaFile: devices.caFile, handshakeTimeoutMs: 10_000 });
    expect(credentials).toEqual({
      cert: readFileSync(fx.certFile), key: readFileSync(fx.keyFile), minVersion: 'TLSv1.3', handshakeTimeout: 10_000, ca: readFileSync(devices.caFile), requestCert: true, rejectUnauthorized: false,
    });
  });

  it('a client CA file that is unreadable, holds no certificate, or holds a certificate that is not a CA stops start-up naming it', () => {
    const missing = join(fx.dir, 'missing-ca.pem');
    const empty = join(fx.dir, 'empty-ca.pem');
    writeFileSync(empty, 'nothing here\n');
    const leaf = devices.issue('not-a-ca');
    const problemsOf = (clientCaFile: string) => thrown(() => readTlsCredentials({ certFile: fx.certFile, keyFile: fx.keyFile, clientCaFile, handshakeTimeoutMs: 10_000 })).problems;
    expect(problemsOf(missing)).toEqual([{ variable: 'IOMT_TLS_CLIENT_CA_FILE', reason: `cannot read ${missing}: ENOENT` }]);
    expect(problemsOf(empty)).toEqual([{ variable: 'IOMT_TLS_CLIENT_CA_FILE', reason: `${empty} holds no PEM certificate` }]);
    expect(problemsOf(leaf.certFile)).toEqual([{ variable: 'IOMT_TLS_CLIENT_CA_FILE', reason: `${leaf.certFile} holds a certificate that is not a CA (CN=not-a-ca)` }]);
  });

  it('an unreadable file stops start-up naming the variable and the file', () => {
    const missing = join(fx.dir, 'missing.pem');
    expect(thrown(() => readTlsCredentials({ certFile: missing, keyFile: fx.keyFile, handshakeTimeoutMs: 10_000 })).problems)
      .toEqual([{ variable: 'IOMT_TLS_CERT_FILE', reason: `cannot read ${missing}: ENOENT` }]);
    expect(thrown(() => readTlsCredentials({ certFile: fx.certFile, keyFile: missing, handshakeTimeoutMs: 10_000 })).problems)
      .toEqual([{ variable: 'IOMT_TLS_KEY_FILE', reason: `cannot read ${missing}: ENOENT` }]);
  });

  it('a key that is not the certificate\'s stops start-up naming both files, and never shows key material', () => {
    const error = thrown(() => readTlsCredentials({ certFile: fx.certFile, keyFile: fx.otherKeyFile, handshakeTimeoutMs: 10_000 }));
    expect(error.problems).toEqual([{ variable: 'IOMT_TLS_KEY_FILE', reason: `${fx.otherKeyFile} is not the private key of the certificate in ${fx.certFile}` }]);
    expect(error.message).not.toMatch(/BEGIN|PRIVATE|MII/);
  });

  it('files that are not PEM (swapped, or garbage) stop start-up naming the variable and the file', () => {
    const garbage = join(fx.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a pem\n', { mode: 0o600 });
    const swapped = thrown(() => readTlsCredentials({ certFile: fx.keyFile, keyFile: garbage, handshakeTimeoutMs: 10_000 }));
    expect(swapped.problems).toEqual([
      { variable: 'IOMT_TLS_CERT_FILE', reason: expect.stringMatching(new RegExp(`^${fx.keyFile} is not a PEM certificate \\(`)) },
      { variable: 'IOMT_TLS_KEY_FILE', reason: expect.stringMatching(new RegExp(`^${garbage} is not an unencrypted PEM private key \\(`)) },
    ]);
    expect(swapped.message).not.toMatch(/BEGIN|MII/);
  });

  it('a key other users may read is refused; a group-readable one is a warning', () => {
    const key = join(fx.dir, 'mode.key.pem');
    copyFileSync(fx.keyFile, key);
    chmodSync(key, 0o644);
    expect(thrown(() => readTlsCredentials({ certFile: fx.certFile, keyFile: key, handshakeTimeoutMs: 10_000 })).problems)
      .toEqual([{ variable: 'IOMT_TLS_KEY_FILE', reason: `${key} is accessible to other users (mode 0644); chmod 600 (or 640 with a dedicated group)` }]);
    chmodSync(key, 0o640);
    expect(readTlsCredentials({ certFile: fx.certFile, keyFile: key, handshakeTimeoutMs: 10_000 }).warnings)
      .toEqual([`IOMT_TLS_KEY_FILE: ${key} is readable by its group (mode 0640); 0600 is the least privilege`]);
  });

  it('warns about a certificate outside its validity period', () => {
    const later = new Date(Date.now() + 3 * 24 * 3600 * 1000);
    expect(readTlsCredentials({ certFile: fx.certFile, keyFile: fx.keyFile, handshakeTimeoutMs: 10_000 }, later).warnings)
      .toEqual([expect.stringMatching(/^IOMT_TLS_CERT_FILE: the certificate in .* is valid from .* to .* only$/)]);
  });
});
