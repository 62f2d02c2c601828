import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIntrospectionVerifier, type IntrospectionOptions } from '../../src/smart';
import { refusalCode } from '../support/refusal-code';

/**
 * RFC 7662 introspection against a real small HTTP server standing in for an authorization server that
 * issues opaque tokens: what it is sent, how its answers are judged, and the short cache.
 */

const NOW_S = 1_736_935_200;
const AUDIENCE = 'https://bridge.example/fhir';

interface Seen { authorization?: string; contentType?: string; body: string }
let server: Server;
let url: string;
let seen: Seen[] = [];
/** What the fake authorization server answers next: token → [status, body]. */
let answers: (token: string) => [number, unknown, Record<string, string>?] = () => [200, { active: false }];

const active = (extra: Record<string, unknown> = {}) => ({
  active: true, scope: 'patient/Observation.rs launch', client_id: 'ehr-app', sub: 'prac-1', aud: AUDIENCE,
  iss: 'https://as.example', exp: NOW_S + 300, iat: NOW_S - 10, patient: 'A', token_type: 'Bearer', ...extra,
});

async function read(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await read(req);
    seen.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
    const [status, payload, headers = {}] = answers(new URLSearchParams(body).get('token') ?? '');
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  seen = [];
});

function verifier(overrides: Partial<IntrospectionOptions> = {}, clock = { ms: NOW_S * 1000 }) {
  return createIntrospectionVerifier({
    url, clientId: 'bridge rs', clientSecret: 's3cr:et', audience: AUDIENCE, issuer: 'https://as.example',
    clockToleranceSeconds: 30, now: () => clock.ms, ...overrides,
  });
}

const codeOf = (promise: Promise<unknown>): Promise<string> => refusalCode(promise, 'accepted');

it('posts the token form-encoded with client_secret_basic credentials and maps the answer', async () => {
  answers = () => [200, active()];
  const access = await verifier()('opaque-token-1');
  expect(access).toMatchObject({ clientId: 'ehr-app', subject: 'prac-1', patient: 'A', scopes: ['patient/Observation.rs', 'launch'], expiresAt: NOW_S + 300 });
  expect(access.permissions).toEqual([expect.objectContaining({ context: 'patient', resourceType: 'Observation' })]);
  expect(seen).toHaveLength(1);
  expect(seen[0]!.contentType).toBe('application/x-www-form-urlencoded');
  expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({ token: 'opaque-token-1', token_type_hint: 'access_token' });
  // RFC 6749 §2.3.1: form-encode id and secret before base64.
  expect(Buffer.from(seen[0]!.authorization!.replace('Basic ', ''), 'base64').toString()).toBe('bridge%20rs:s3cr%3Aet');
});

it.each([
  [{ active: false }, '401 ERR_ACCESS_TOKEN_INACTIVE'],
  [{ active: 'true', scope: 'x', client_id: 'c', aud: AUDIENCE }, '401 ERR_ACCESS_TOKEN_INACTIVE'],
  [active({ exp: NOW_S - 31 }), '401 ERR_ACCESS_TOKEN_EXPIRED'],
  [active({ exp: NOW_S - 29 }), 'accepted'], // within the leeway
  [active({ nbf: NOW_S + 60 }), '401 ERR_ACCESS_TOKEN_NOT_YET_VALID'],
  [active({ aud: 'https://other.example/fhir' }), '401 ERR_ACCESS_TOKEN_AUDIENCE'],
  [active({ aud: undefined }), '401 ERR_ACCESS_TOKEN_AUDIENCE'],
  [active({ aud: ['https://x', AUDIENCE] }), 'accepted'],
  [active({ iss: 'https://evil.example' }), '401 ERR_ACCESS_TOKEN_ISSUER'],
  [active({ token_type: 'refresh_token' }), '401 ERR_ACCESS_TOKEN_TYPE'],
  [active({ scope: undefined }), '401 ERR_ACCESS_TOKEN_SCOPE'],
  [active({ scope: ' ' }), '401 ERR_ACCESS_TOKEN_SCOPE'],
  [active({ client_id: undefined }), '401 ERR_ACCESS_TOKEN_CLIENT'],
  [active({ patient: '../B' }), '401 ERR_ACCESS_TOKEN_PATIENT'],
  [active({ patient: 'Patient/A' }), 'accepted'],
])('answer %j → %s', async (answer, expected) => {
  answers = () => [200, answer];
  expect(await codeOf(verifier({ cacheTtlMs: 0 })('opaque'))).toBe(expected);
});

it.each([
  [500, { active: true }, {}],
  [401, { error: 'invalid_client' }, {}],
  [200, 'not json', {}],
  [200, '[1,2]', {}],
  [302, '', { location: 'http://169.254.169.254/latest' }],
])('an endpoint answering %s %j is unavailable → 503, and nothing is cached', async (status, body, headers) => {
  answers = () => [status, body, headers];
  const verify = verifier();
  expect(await codeOf(verify('opaque'))).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
  answers = () => [200, active()];
  expect(await codeOf(verify('opaque'))).toBe('accepted');
});

it.each([['empty', ''], ['with a space', 'has space'], ['over 16 KiB', 'x'.repeat(16_385)], ['with a tab', 'tab\there']])('refuses a token %s without a request', async (_label, token) => {
  expect(await codeOf(verifier()(token))).toBe('401 ERR_ACCESS_TOKEN_MALFORMED');
  expect(seen).toHaveLength(0);
});

describe('the cache', () => {
  it('reuses an answer within the TTL and asks again after it (revocation seen within the TTL)', async () => {
    const clock = { ms: NOW_S * 1000 };
    const verify = verifier({ cacheTtlMs: 10_000 }, clock);
    answers = () => [200, active()];
    await verify('t1');
    await verify('t1');
    expect(seen).toHaveLength(1);
    answers = () => [200, { active: false }]; // revoked at the authorization server
    clock.ms += 10_001;
    expect(await codeOf(verify('t1'))).toBe('401 ERR_ACCESS_TOKEN_INACTIVE');
    expect(seen).toHaveLength(2);
  });

  it('never reuses an answer past the token expiry', async () => {
    const clock = { ms: NOW_S * 1000 };
    const verify = verifier({ cacheTtlMs: 60_000, clockToleranceSeconds: 0 }, clock);
    answers = () => [200, active({ exp: NOW_S + 5 })];
    await verify('t2');
    clock.ms += 6_000;
    answers = () => [200, { active: false }];
    expect(await codeOf(verify('t2'))).toBe('401 ERR_ACCESS_TOKEN_INACTIVE');
    expect(seen).toHaveLength(2);
  });

  it('shares one request between concurrent checks of a token, and keys by token', async () => {
    const verify = verifier();
    answers = (token) => [200, active({ sub: token })];
    const [a, b, c] = await Promise.all([verify('t3'), verify('t3'), verify('t4')]);
    expect([a.subject, b.subject, c.subject]).toEqual(['t3', 't3', 't4']);
    expect(seen).toHaveLength(2);
  });

  it('stays bounded (oldest answers evicted)', async () => {
    const verify = verifier({ maxCacheEntries: 2 });
    answers = () => [200, active()];
    for (const t of ['e1', 'e2', 'e3', 'e1']) await verify(t);
    expect(seen).toHaveLength(4);
  });
});
