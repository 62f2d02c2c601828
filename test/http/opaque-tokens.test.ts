import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bundle, Observation } from 'fhir/r4';
import { createTestBridge, type TestBridge } from '../support/test-bridge';
import { auditHead, auditSince, example, expectInvalidToken, expectOutcome } from './helpers';

/**
 * An EHR whose authorization server issues opaque tokens: the bridge checks them by RFC 7662
 * introspection (a real small HTTP server here) and applies the same scope and compartment rules.
 */

let as: Server;
let asUp = true;
let introspections = 0;
let bridge: TestBridge;
let audience: string;

/** The tokens the fake authorization server knows. */
const TOKENS: Record<string, Record<string, unknown>> = {};

beforeAll(async () => {
  as = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += String(c); });
    req.on('end', () => {
      introspections += 1;
      if (!asUp || req.headers.authorization !== `Basic ${Buffer.from('bridge-rs:rs-secret').toString('base64')}`) {
        res.writeHead(asUp ? 401 : 503).end();
        return;
      }
      const known = TOKENS[new URLSearchParams(body).get('token') ?? ''];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(known ?? { active: false }));
    });
  });
  await new Promise<void>((resolve) => as.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(as.address() as AddressInfo).port}/introspect`;
  bridge = await createTestBridge({
    IOMT_AUTH_INTROSPECTION_URL: url, IOMT_AUTH_INTROSPECTION_CLIENT_ID: 'bridge-rs', IOMT_AUTH_INTROSPECTION_CLIENT_SECRET: 'rs-secret',
    IOMT_AUTH_INTROSPECTION_CACHE_S: '0', IOMT_DEV_ISSUER: 'on',
  });
  audience = bridge.config.authAudience;
  const exp = Math.floor(Date.now() / 1000) + 600;
  Object.assign(TOKENS, {
    'opaque-A': { active: true, scope: 'launch patient/Observation.rs', client_id: 'ehr-app', sub: 'prac-1', patient: 'A', aud: audience, exp },
    'opaque-system': { active: true, scope: 'system/Observation.rs', client_id: 'backend', aud: audience, exp },
    'opaque-elsewhere': { active: true, scope: 'system/Observation.rs', client_id: 'backend', aud: 'https://ehr.example/fhir', exp },
  });
  for (const [id, patient] of [['oxi-a', 'Patient/A'], ['oxi-b', 'Patient/B']] as const) {
    const device = await bridge.addDevice(id, patient);
    const payload = { ...JSON.parse(example('pulse-oximeter', 'with-message-id.json')), messageId: id };
    expect((await bridge.ingest(device, JSON.stringify(payload))).statusCode).toBe(202);
  }
});
afterAll(async () => {
  await bridge.close();
  await new Promise((resolve) => as.close(resolve));
});

const subjects = (payload: string) => new Set((JSON.parse(payload) as Bundle<Observation>).entry?.map((e) => e.resource?.subject?.reference));

it('an opaque patient token sees its patient only; the answer of introspection is what counts', async () => {
  const res = await bridge.get('/fhir/Observation', 'opaque-A');
  expect(res.statusCode).toBe(200);
  expect(subjects(res.payload)).toEqual(new Set(['Patient/A']));
  expect(subjects((await bridge.get('/fhir/Observation', 'opaque-system')).payload)).toEqual(new Set(['Patient/A', 'Patient/B']));
  expectOutcome(await bridge.get('/fhir/Device', 'opaque-A'), 403);
});

it.each([
  ['an unknown token', 'opaque-unknown', 'ERR_ACCESS_TOKEN_INACTIVE'],
  ['a token for another server', 'opaque-elsewhere', 'ERR_ACCESS_TOKEN_AUDIENCE'],
])('%s → 401 invalid_token, audited', async (_label, token, code) => {
  const seq = await auditHead(bridge.store);
  expectInvalidToken(await bridge.get('/fhir/Observation', token));
  expect(bridge.lastErrorCode()).toBe(code);
  expect(await auditSince(bridge.store, seq)).toEqual([expect.objectContaining({ outcome: '4', outcomeDesc: expect.stringContaining(code) })]);
});

it('JWTs still go to the JWT verifier (no introspection request)', async () => {
  const before = introspections;
  const res = await bridge.get('/fhir/Observation', await bridge.token('system/Observation.rs'));
  expect(res.statusCode).toBe(200);
  expect(introspections).toBe(before);
});

it('an unavailable authorization server → 503, not 401 (the token may be fine)', async () => {
  asUp = false;
  try {
    expectOutcome(await bridge.get('/fhir/Observation', 'opaque-A'), 503);
    expect(bridge.lastErrorCode()).toBe('ERR_INTROSPECTION_UNAVAILABLE');
  } finally {
    asUp = true;
  }
});
