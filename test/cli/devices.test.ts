import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { X509Certificate } from 'node:crypto';
import { certificateThumbprint } from '../../src/ingest';
import { createDeviceCaFixture } from '../support/tls-fixture';
import { cliSandbox } from './run-cli';

const cli = cliSandbox();
afterAll(() => cli.cleanup());

/** Writes `jwk` to a file in the sandbox and returns its path. */
function jwkFile(name: string, jwk: unknown): string {
  const file = join(cli.dataDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(jwk));
  return file;
}

async function es256(): Promise<{ publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { publicJwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey) };
}

async function listedIds(): Promise<string[]> {
  const { code, out } = await cli.run(['devices', 'list']);
  expect(code).toBe(0);
  return (JSON.parse(out) as Array<{ id: string }>).map((d) => d.id).sort();
}

describe('devices add | list | revoke', () => {
  it('registers a device with its public key only, linked to a patient', async () => {
    const { publicJwk } = await es256();
    const { code, out, err } = await cli.run(['devices', 'add', '--id', 'oxi-1', '--jwk', jwkFile('oxi-1', { ...publicJwk, kid: 'k1', alg: 'ES256' }), '--patient', 'Patient/p-7']);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    // Stored as the bare key: nothing but kty/crv/x/y (a `kid` or `alg` in the file is not trusted metadata).
    expect(JSON.parse(out)).toMatchObject({ id: 'oxi-1', patient: 'Patient/p-7', status: 'active', publicJwk: { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y } });
    expect(Object.keys((JSON.parse(out) as { publicJwk: object }).publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(await listedIds()).toEqual(['oxi-1']);
  });

  const refused: Array<[string, () => Promise<string[]>, RegExp]> = [
    ['an id that is not a FHIR id', async () => ['--id', 'bad id!', '--jwk', jwkFile('a', (await es256()).publicJwk)], /--id 'bad id!' is not a valid FHIR id/],
    ['an id longer than 64 characters', async () => ['--id', 'x'.repeat(65), '--jwk', jwkFile('b', (await es256()).publicJwk)], /is not a valid FHIR id/],
    ['a private key given as --jwk', async () => ['--id', 'leaky', '--jwk', jwkFile('c', (await es256()).privateJwk)], /holds a private key \("d"\)/],
    ['a key that is not EC P-256', async () => ['--id', 'p384', '--jwk', jwkFile('d', { ...(await es256()).publicJwk, crv: 'P-384' })], /EC P-256 public key/],
    ['a symmetric key', async () => ['--id', 'oct', '--jwk', jwkFile('e', { kty: 'oct', k: 'c2VjcmV0' })], /EC P-256 public key/],
    ['a patient that is not Patient/ID', async () => ['--id', 'pp', '--jwk', jwkFile('f', (await es256()).publicJwk), '--patient', 'Group/1'], /--patient must look like Patient\/ID/],
    ['a duplicate id', async () => ['--id', 'oxi-1', '--jwk', jwkFile('g', (await es256()).publicJwk)], /device 'oxi-1' is already registered/],
  ];

  it.each(refused)('refuses %s (exit 1, message, nothing stored)', async (_, args, message) => {
    const { code, out, err } = await cli.run(['devices', 'add', ...(await args())]);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(await listedIds()).toEqual(['oxi-1']);
  });

  it('revokes a device, and says so in the listing', async () => {
    const { code, out } = await cli.run(['devices', 'revoke', 'oxi-1']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ id: 'oxi-1', status: 'revoked', revokedAt: expect.any(String) });
    const listed = JSON.parse((await cli.run(['devices', 'list'])).out) as Array<{ id: string; status: string }>;
    expect(listed).toEqual([expect.objectContaining({ id: 'oxi-1', status: 'revoked' })]);
  });

  it('refuses to revoke an unknown device', async () => {
    const { code, err } = await cli.run(['devices', 'revoke', 'nobody']);
    expect(code).toBe(1);
    expect(err).toMatch(/device 'nobody' is not registered/);
  });
});

describe('devices keygen', () => {
  it('writes a 0600 private ES256 key and a public key that `devices add` accepts', async () => {
    const prefix = join(cli.dataDir, 'gen');
    const { code, out } = await cli.run(['devices', 'keygen', '--out', prefix]);
    expect(code).toBe(0);
    expect(out).toContain(`${prefix}.key.json`);
    expect(statSync(`${prefix}.key.json`).mode & 0o777).toBe(0o600);
    const privateJwk = JSON.parse(readFileSync(`${prefix}.key.json`, 'utf8')) as JWK;
    const publicJwk = JSON.parse(readFileSync(`${prefix}.pub.json`, 'utf8')) as JWK;
    expect(privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', d: expect.any(String), x: publicJwk.x, y: publicJwk.y });
    expect(publicJwk).not.toHaveProperty('d');
    expect((await cli.run(['devices', 'add', '--id', 'gen-1', '--jwk', `${prefix}.pub.json`])).code).toBe(0);
    expect((await cli.run(['devices', 'add', '--id', 'gen-2', '--jwk', `${prefix}.key.json`])).code).toBe(1);
  });

  it('never overwrites an existing key file', async () => {
    const prefix = join(cli.dataDir, 'kept');
    writeFileSync(`${prefix}.key.json`, 'precious');
    const { code, err } = await cli.run(['devices', 'keygen', '--out', prefix]);
    expect(code).toBe(1);
    expect(err).toMatch(/EEXIST/);
    expect(readFileSync(`${prefix}.key.json`, 'utf8')).toBe('precious');
  });
});

describe('devices add --cert (mTLS client certificate)', () => {
  const ca = createDeviceCaFixture();
  afterAll(() => ca.cleanup());

  it('stores the certificate\'s SHA-256 thumbprint (base64url of the DER hash), with or without a key; list shows it', async () => {
    const cert = ca.issue('cert-dev-1');
    const thumbprint = certificateThumbprint(new X509Certificate(cert.cert).raw);
    const added = await cli.run(['devices', 'add', '--id', 'cert-dev-1', '--cert', cert.certFile, '--patient', 'Patient/p-8']);
    expect({ code: added.code, err: added.err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(added.out)).toEqual({ id: 'cert-dev-1', certThumbprint: thumbprint, patient: 'Patient/p-8', status: 'active', createdAt: expect.any(String) });
    expect(thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const both = ca.issue('cert-dev-2');
    const withKey = await cli.run(['devices', 'add', '--id', 'cert-dev-2', '--cert', both.certFile, '--jwk', jwkFile('cert-dev-2', (await es256()).publicJwk)]);
    expect(JSON.parse(withKey.out)).toMatchObject({ id: 'cert-dev-2', certThumbprint: expect.any(String), publicJwk: expect.objectContaining({ kty: 'EC' }) });
    const listed = JSON.parse((await cli.run(['devices', 'list'])).out) as Array<{ id: string; certThumbprint?: string }>;
    expect(listed.find((d) => d.id === 'cert-dev-1')?.certThumbprint).toBe(thumbprint);
  });

  it.each([
    ['neither --jwk nor --cert', () => ['--id', 'bare'], /give --jwk, --cert, or both/],
    ['a file that is not a certificate', () => ['--id', 'not-pem', '--cert', jwkFile('not-pem', { kty: 'EC' })], /--cert .* is not a PEM certificate/],
    ['a CA certificate', () => ['--id', 'the-ca', '--cert', ca.caFile], /is a CA certificate: register the device's own certificate/],
    ['a certificate registered for another device', () => ['--id', 'cert-dev-3', '--cert', join(ca.dir, 'cert-dev-1.crt.pem')], /already registered for another device/],
  ])('refuses %s (exit 1, nothing stored)', async (_what, args, message) => {
    const before = await listedIds();
    const { code, out, err } = await cli.run(['devices', 'add', ...args()]);
    expect({ code, out }).toEqual({ code: 1, out: '' });
    expect(err).toMatch(message);
    expect(await listedIds()).toEqual(before);
  });
});
