import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerInjectResponse } from '@hapi/hapi';
import type { OperationOutcome } from 'fhir/r4';
import { createTestBridge, type TestBridge } from '../support/test-bridge';
import { expectInvalidToken, expectOutcome } from './helpers';

/** `POST /fhir/{type}/$validate` over the whole bridge: scopes, input forms, and the runtime validator's verdict. */

const NOW_MS = Date.UTC(2025, 0, 15, 10, 0, 0);
const IOMT = 'https://iomt-bridge.dev/fhir/StructureDefinition/';
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '../validation/fixtures', `${name}.json`), 'utf8')) as Record<string, unknown>;

let bridge: TestBridge;
let readToken: string;

beforeAll(async () => {
  bridge = await createTestBridge({}, { now: () => NOW_MS });
  readToken = await bridge.token('system/Observation.rs');
});
afterAll(() => bridge.close());

function post(url: string, body: unknown, token?: string, contentType = 'application/fhir+json'): Promise<ServerInjectResponse> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return bridge.server.inject({ method: 'POST', url, headers, payload: JSON.stringify(body) });
}

function outcome(res: ServerInjectResponse): OperationOutcome {
  expect({ status: res.statusCode, type: res.headers['content-type'] }).toEqual({ status: 200, type: expect.stringMatching(/^application\/fhir\+json/) });
  return JSON.parse(res.payload) as OperationOutcome;
}

const errorsAt = (o: OperationOutcome): string[] =>
  o.issue.filter((i) => i.severity === 'error').map((i) => i.expression?.[0] ?? '-');

describe('$validate', () => {
  it('answers 200 with an all-clear for a valid Observation', async () => {
    const o = outcome(await post('/fhir/Observation/$validate', fixture('observation-heart-rate'), readToken));
    expect(o.issue).toEqual([expect.objectContaining({ severity: 'information', code: 'informational' })]);
  });

  it('answers 200 with the errors and their FHIRPath for an invalid one (vital signs applied automatically)', async () => {
    const hr = fixture('observation-heart-rate') as { valueQuantity: Record<string, unknown> };
    hr.valueQuantity.code = 'kg';
    const o = outcome(await post('/fhir/Observation/$validate', hr, readToken));
    expect(errorsAt(o)).toContain('Observation.valueQuantity.code');
  });

  it('takes profiles from ?profile= and from a Parameters body', async () => {
    const obs = fixture('observation-heart-rate'); // no identifier, no device: fails our numeric profile
    const byQuery = outcome(await post(`/fhir/Observation/$validate?profile=${encodeURIComponent(`${IOMT}iomt-numeric-observation`)}`, obs, readToken));
    expect(errorsAt(byQuery)).toEqual(expect.arrayContaining(['Observation.identifier', 'Observation.device']));
    const params = { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: obs }, { name: 'profile', valueUri: `${IOMT}iomt-numeric-observation` }] };
    expect(errorsAt(outcome(await post('/fhir/Observation/$validate', params, readToken)))).toEqual(errorsAt(byQuery));
  });

  it('accepts application/json too', async () => {
    const o = outcome(await post('/fhir/Observation/$validate', fixture('observation-heart-rate'), readToken, 'application/json'));
    expect(errorsAt(o)).toEqual([]);
  });

  it.each([
    ['a resource of another type than the URL', '/fhir/Device/$validate', () => fixture('observation-heart-rate'), 'ERR_VALIDATE_TYPE'],
    ['a Parameters without resource', '/fhir/Observation/$validate', () => ({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'create' }] }), 'ERR_VALIDATE_BODY'],
    ['an unsupported mode', '/fhir/Observation/$validate', () => ({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: fixture('observation-heart-rate') }, { name: 'mode', valueCode: 'delete' }] }), 'ERR_VALIDATE_MODE'],
    ['a type name that is not one', '/fhir/observation$/$validate', () => fixture('observation-heart-rate'), 'ERR_VALIDATE_TYPE'],
  ])('refuses %s with 400', async (_name, url, body, code) => {
    const admin = await bridge.token('iomt:admin');
    expectOutcome(await post(url, body(), admin), 400);
    expect(bridge.lastErrorCode()).toBe(code);
  });

  it('needs a token (401) and read access to the type or iomt:admin (403 otherwise)', async () => {
    expectInvalidToken(await post('/fhir/Observation/$validate', fixture('observation-heart-rate')));
    const deviceOnly = await bridge.token('system/Device.rs');
    expectOutcome(await post('/fhir/Observation/$validate', fixture('observation-heart-rate'), deviceOnly), 403);
    expect(bridge.lastErrorCode()).toBe('ERR_INSUFFICIENT_SCOPE');
    const admin = await bridge.token('iomt:admin');
    expect(outcome(await post('/fhir/Device/$validate', fixture('device'), admin)).issue[0]?.severity).not.toBe('error');
  });
});
