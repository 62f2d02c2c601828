import type { CapabilityStatement } from 'fhir/r4';
import { createTestBridge, type TestBridge } from '../support/test-bridge';
import { expectInvalidToken, expectOutcome } from './helpers';

/**
 * SMART discovery checked the way the ONC/Inferno SMART App Launch test kit checks a server: required
 * fields and their types, S256 only, CORS on the discovery endpoints (and not elsewhere), the
 * CapabilityStatement security section, and 401/403 semantics on the API.
 */

const AS = 'https://ehr.example.org/oauth2';
const ORIGIN = 'https://inferno.example.org';
let bridge: TestBridge;

beforeAll(async () => {
  bridge = await createTestBridge({
    IOMT_AUTH_AUTHORIZE_URL: `${AS}/authorize`, IOMT_AUTH_TOKEN_URL: `${AS}/token`, IOMT_DEV_ISSUER: 'on',
    IOMT_AUTH_INTROSPECTION_URL: `${AS}/introspect`, IOMT_AUTH_INTROSPECTION_CLIENT_ID: 'bridge', IOMT_AUTH_INTROSPECTION_CLIENT_SECRET: 'x',
  });
});
afterAll(() => bridge.close());

async function discovery(headers: Record<string, string> = {}) {
  return bridge.server.inject({ method: 'GET', url: '/fhir/.well-known/smart-configuration', headers: { accept: 'application/json', origin: ORIGIN, ...headers } });
}

describe('/.well-known/smart-configuration', () => {
  it('is public, application/json, with every required field of the right type', async () => {
    const res = await discovery();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json\b/);
    const config = JSON.parse(res.payload) as Record<string, unknown>;
    const required: Array<[string, 'string' | 'array']> = [
      ['authorization_endpoint', 'string'], ['token_endpoint', 'string'], ['capabilities', 'array'],
      ['grant_types_supported', 'array'], ['code_challenge_methods_supported', 'array'],
    ];
    for (const [key, type] of required) {
      expect(config[key]).toBeDefined();
      expect(type === 'array' ? Array.isArray(config[key]) && (config[key] as unknown[]).length > 0 : typeof config[key] === 'string' && config[key] !== '').toBe(true);
    }
    expect(config).toMatchObject({
      authorization_endpoint: `${AS}/authorize`, token_endpoint: `${AS}/token`, introspection_endpoint: `${AS}/introspect`,
      response_types_supported: ['code'],
    });
    expect(config.grant_types_supported).toContain('authorization_code');
    expect((config.capabilities as unknown[]).every((c) => typeof c === 'string')).toBe(true);
    expect(config.capabilities).toEqual(expect.arrayContaining(['launch-ehr', 'launch-standalone', 'permission-patient', 'permission-v2']));
    expect(config.scopes_supported).toEqual(expect.arrayContaining(['launch', 'patient/Observation.rs', 'system/Device.rs']));
  });

  it('offers PKCE S256 and never plain', async () => {
    const config = JSON.parse((await discovery()).payload) as { code_challenge_methods_supported: string[] };
    expect(config.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('omits issuer and jwks_uri, as it does not claim sso-openid-connect', async () => {
    const config = JSON.parse((await discovery()).payload) as Record<string, unknown> & { capabilities: string[] };
    expect(config.capabilities).not.toContain('sso-openid-connect');
    expect(config.issuer).toBeUndefined();
  });

  it('allows CORS from any origin, preflight included', async () => {
    expect([ORIGIN, '*']).toContain((await discovery()).headers['access-control-allow-origin']);
    const preflight = await bridge.server.inject({
      method: 'OPTIONS', url: '/fhir/.well-known/smart-configuration', headers: { origin: ORIGIN, 'access-control-request-method': 'GET' },
    });
    expect(preflight.statusCode).toBe(200);
    expect([ORIGIN, '*']).toContain(preflight.headers['access-control-allow-origin']);
  });

  it('answers 404 OperationOutcome when no token endpoint is configured (never an invalid document)', async () => {
    const bare = await createTestBridge();
    try {
      const res = await bare.server.inject({ method: 'GET', url: '/fhir/.well-known/smart-configuration' });
      expectOutcome(res, 404);
      expect(bare.lastErrorCode()).toBe('ERR_SMART_NOT_CONFIGURED');
    } finally {
      await bare.close();
    }
  });
});

describe('CapabilityStatement security', () => {
  it('names the SMART-on-FHIR service and the oauth-uris extension, with CORS for browser apps', async () => {
    const res = await bridge.server.inject({ method: 'GET', url: '/fhir/metadata', headers: { origin: ORIGIN } });
    expect([ORIGIN, '*']).toContain(res.headers['access-control-allow-origin']);
    const security = (JSON.parse(res.payload) as CapabilityStatement).rest?.[0]?.security;
    expect(security?.service?.[0]?.coding?.[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' });
    const uris = security?.extension?.find((e) => e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris');
    expect(uris?.extension).toEqual(expect.arrayContaining([{ url: 'token', valueUri: `${AS}/token` }, { url: 'authorize', valueUri: `${AS}/authorize` }]));
  });
});

describe('401 / 403 semantics', () => {
  it('no token → 401 with a Bearer challenge; a bad token → 401 invalid_token', async () => {
    const none = await bridge.server.inject({ method: 'GET', url: '/fhir/Observation' });
    expectOutcome(none, 401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer\b/);
    expectInvalidToken(await bridge.get('/fhir/Observation', 'not.a.token'));
  });

  it('a valid token without the scope → 403 insufficient_scope; the authenticated API has no CORS', async () => {
    const res = await bridge.server.inject({
      method: 'GET', url: '/fhir/Observation', headers: { authorization: `Bearer ${await bridge.token('patient/Device.rs', 'A')}`, origin: ORIGIN },
    });
    expectOutcome(res, 403);
    expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope"');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
