import { ConfigError, loadConfig } from '../../src/config';

/** IOMT_AUTH_INTROSPECTION_*, IOMT_AUTH_AUTHORIZE_URL / _TOKEN_URL and IOMT_APP_* (issue 5). */

const load = (env: NodeJS.ProcessEnv) => loadConfig(env, { cwd: '/srv', packageRoot: '/opt/iomt-bridge' });

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    load(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems.map((p) => `${p.variable}: ${p.reason}`);
  }
  return [];
}

it('is all off by default', () => {
  const config = load({});
  expect([config.authIntrospection, config.authAuthorizeUrl, config.authTokenUrl, config.app]).toEqual([undefined, undefined, undefined, undefined]);
});

it('resolves introspection, turning the development issuer off under auto', () => {
  const config = load({
    IOMT_AUTH_INTROSPECTION_URL: 'https://as.example/introspect', IOMT_AUTH_INTROSPECTION_CLIENT_ID: 'rs',
    IOMT_AUTH_INTROSPECTION_CLIENT_SECRET: 'sec', IOMT_AUTH_INTROSPECTION_CACHE_S: '5',
  });
  expect(config.authIntrospection).toEqual({ url: 'https://as.example/introspect', clientId: 'rs', clientSecret: 'sec', cacheTtlMs: 5000 });
  expect(config.devIssuer).toBe(false);
  // With introspection, IOMT_DEV_ISSUER=off is no longer "no token could be accepted".
  expect(problems({ IOMT_DEV_ISSUER: 'off', IOMT_AUTH_INTROSPECTION_URL: 'https://as.example/i', IOMT_AUTH_INTROSPECTION_CLIENT_ID: 'a', IOMT_AUTH_INTROSPECTION_CLIENT_SECRET: 'b' })).toEqual([]);
});

it.each([
  [{ IOMT_AUTH_INTROSPECTION_URL: 'https://as.example/i' }, ['IOMT_AUTH_INTROSPECTION_CLIENT_ID: is required', 'IOMT_AUTH_INTROSPECTION_CLIENT_SECRET: is required']],
  [{ IOMT_AUTH_INTROSPECTION_CLIENT_ID: 'a' }, ['IOMT_AUTH_INTROSPECTION_CLIENT_ID: is only used with IOMT_AUTH_INTROSPECTION_URL']],
  [{ IOMT_AUTH_INTROSPECTION_URL: 'http://as.example/i', IOMT_AUTH_INTROSPECTION_CLIENT_ID: 'a', IOMT_AUTH_INTROSPECTION_CLIENT_SECRET: 'b' }, ['IOMT_AUTH_INTROSPECTION_URL: must use https']],
  [{ IOMT_AUTH_TOKEN_URL: 'http://as.example/token' }, ['IOMT_AUTH_TOKEN_URL: must use https']],
  [{ IOMT_APP_EHRS: 'https://ehr.example/fhir,http://10.0.0.5/fhir' }, ['IOMT_APP_EHRS: must use https']],
  [{ IOMT_APP_EHRS: 'https://ehr.example/fhir?x=1' }, ['IOMT_APP_EHRS: must not carry credentials, a query or a fragment']],
  [{ IOMT_APP_CLIENT_ID: 'x' }, ['IOMT_APP_CLIENT_ID: is only used with IOMT_APP_EHRS']],
  [{ IOMT_APP_EHRS: 'https://a.example/fhir', IOMT_APP_SESSION_TTL_S: '5' }, ['IOMT_APP_SESSION_TTL_S: must be >= 60']],
])('%j is refused', (env, expected) => {
  const found = problems(env);
  for (const e of expected) expect(found.some((p) => p.startsWith(e))).toBe(true);
});

it('resolves the app with its allow-list (trailing slashes removed, loopback http allowed)', () => {
  const config = load({ IOMT_APP_EHRS: 'https://ehr.example/fhir/, http://127.0.0.1:9080/fhir' });
  expect(config.app).toEqual({
    ehrs: ['https://ehr.example/fhir', 'http://127.0.0.1:9080/fhir'], clientId: 'iomt-bridge-app',
    scope: 'launch openid fhirUser offline_access patient/Patient.rs patient/Observation.rs patient/Device.rs', sessionTtlMs: 28_800_000,
  });
});
