import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { accessTokenVerifier } from '../../src/bridge';
import { loadConfig } from '../../src/config';
import { devIssuerJwks, loadOrCreateDevIssuerKey } from '../../src/smart';
import { cliSandbox } from './run-cli';

const cli = cliSandbox();
afterAll(() => cli.cleanup());

const PUBLIC = { IOMT_PUBLIC_URL: 'https://bridge.example.org' };

async function token(args: string[], env: Record<string, string> = PUBLIC): Promise<string> {
  const { code, out, err } = await cli.run(['token', ...args], { env });
  expect({ code, err }).toEqual({ code: 0, err: '' });
  expect(out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  return out.trim();
}

describe('token', () => {
  it('prints a JWT from the development issuer: scope, aud = the FHIR base, short-lived, signed with the data folder key', async () => {
    const jwt = await token(['--scope', 'system/*.rs']);
    const key = await loadOrCreateDevIssuerKey(cli.dataDir);
    const { payload } = await jwtVerify(jwt, devIssuerJwks(key), {
      issuer: 'https://bridge.example.org/dev-issuer', audience: 'https://bridge.example.org/fhir',
    });
    expect(payload).toMatchObject({ scope: 'system/*.rs', client_id: 'iomt-bridge-cli' });
    expect(payload).not.toHaveProperty('patient');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'ES256', kid: key.kid });
  });

  it('is accepted by the verifier the server builds from the same configuration', async () => {
    const jwt = await token(['--scope', 'system/Observation.read']);
    const verify = await accessTokenVerifier(loadConfig({ IOMT_DATA_DIR: cli.dataDir, ...PUBLIC }));
    await expect(verify(jwt)).resolves.toBeDefined();
    // …and not by one whose FHIR base (audience) differs.
    const other = await accessTokenVerifier(loadConfig({ IOMT_DATA_DIR: cli.dataDir, IOMT_PUBLIC_URL: 'https://elsewhere.example.org' }));
    await expect(other(jwt)).rejects.toMatchObject({ status: 401 });
  });

  it.each([['p-42'], ['Patient/p-42']])('carries the launch patient with --patient %s', async (patient) => {
    const claims = decodeJwt(await token(['--scope', 'patient/Observation.rs', '--patient', patient]));
    expect(claims).toMatchObject({ scope: 'patient/Observation.rs', patient: 'p-42' });
  });

  it('takes --client and --lifetime', async () => {
    const claims = decodeJwt(await token(['--scope', 'system/*.rs', '--client', 'ehr-1', '--lifetime', '60']));
    expect(claims.client_id).toBe('ehr-1');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(60);
  });

  it.each(['0', '3601', '1.5', 'soon'])('refuses --lifetime %s', async (lifetime) => {
    const { code, out, err } = await cli.run(['token', '--scope', 'system/*.rs', '--lifetime', lifetime], { env: PUBLIC });
    expect({ code, out }).toEqual({ code: 1, out: '' });
    expect(err).toMatch(/--lifetime must be 1\.\.3600/);
  });

  it('refuses when a real issuer is configured (the development issuer is then off)', async () => {
    const { code, out, err } = await cli.run(['token', '--scope', 'system/*.rs'], {
      env: { ...PUBLIC, IOMT_AUTH_ISSUER: 'https://idp.example.org', IOMT_AUTH_JWKS_URL: 'https://idp.example.org/jwks' },
    });
    expect({ code, out }).toEqual({ code: 1, out: '' });
    expect(err).toMatch(/development issuer is off/);
  });
});
