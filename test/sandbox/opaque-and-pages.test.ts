import { startSandboxProcess, type SandboxProcess } from './support/sandbox-process';
import { authorize, basic, tokenRequest } from './support/smart-flow';

// Opaque tokens (checked by introspection) and the human pages (no --auto-approve). Child process from dist/.
const REDIRECT = 'http://127.0.0.1:1/app/callback';

let sb: SandboxProcess;

beforeAll(async () => {
  sb = await startSandboxProcess(['--token-format', 'opaque', '--app-redirect-uri', REDIRECT]);
});

afterAll(async () => {
  expect(await sb.stop()).toBe(0);
});

/** Picks `patient` on the consent page and presses Allow (or Deny). */
const press = (action: 'allow' | 'deny', patient?: string) => (html: string): URLSearchParams => {
  expect(html).toContain('<form method="post"');
  if (patient !== undefined) expect(html).toContain(`<option value="${patient}"`);
  return new URLSearchParams({ action, ...(patient === undefined ? {} : { patient }) });
};

async function confidentialFlow(onPage: (html: string) => URLSearchParams) {
  const result = await authorize({
    authorizeUrl: sb.authorizeUrl, clientId: sb.clients.confidential, redirectUri: REDIRECT, aud: sb.fhirBaseUrl,
    scope: 'openid fhirUser launch/patient offline_access patient/*.read', onPage,
  });
  return result;
}

describe('the consent page (humans)', () => {
  it('signs in, lets the user pick a patient, and issues an opaque token that introspects with the SMART context', async () => {
    const result = await confidentialFlow(press('allow', 'pat-3'));
    const token = await tokenRequest(sb.tokenUrl, {
      grant_type: 'authorization_code', code: result.code!, redirect_uri: REDIRECT, code_verifier: result.verifier,
    }, basic(sb.clients.confidential, sb.clients.confidentialSecret));
    expect(token.status).toBe(200);
    expect(token.body.patient).toBe('pat-3');
    const accessToken = String(token.body.access_token);
    expect(accessToken.split('.')).toHaveLength(1); // opaque, not a JWT

    const introspect = async (value: string, auth = basic(sb.clients.introspector, sb.clients.introspectorSecret)) =>
      tokenRequest(sb.introspectionUrl, { token: value }, auth);
    const active = await introspect(accessToken);
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({
      active: true, client_id: sb.clients.confidential, aud: sb.fhirBaseUrl, scope: 'patient/*.read', patient: 'pat-3',
      fhirUser: `${sb.fhirBaseUrl}/Practitioner/prac-1`, iss: sb.issuer, sub: 'prac-1', token_type: 'Bearer',
    });
    expect((await introspect('not-a-token')).body).toEqual({ active: false });
    // RFC 7662 §2.1: the caller must authenticate.
    expect((await introspect(accessToken, basic(sb.clients.introspector, 'wrong'))).status).toBe(401);

    // The FHIR endpoint accepts the opaque token (the same lookup introspection does).
    const read = await fetch(`${sb.fhirBaseUrl}/Patient/pat-3`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(read.status).toBe(200);

    // Revoked → inactive and refused.
    const revoked = await tokenRequest(sb.revocationUrl, { token: accessToken }, basic(sb.clients.confidential, sb.clients.confidentialSecret));
    expect(revoked.status).toBe(200);
    expect((await introspect(accessToken)).body.active).toBe(false);
    expect((await fetch(`${sb.fhirBaseUrl}/Patient/pat-3`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(401);
  });

  it('answers access_denied when the user presses Deny', async () => {
    const result = await confidentialFlow(press('deny'));
    expect(result.code).toBeUndefined();
    expect(result.redirect.searchParams.get('error')).toBe('access_denied');
  });

  it('lists patients on the EHR page, under a strict CSP', async () => {
    const response = await fetch(sb.ehrUrl);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    for (const id of ['example', 'pat-2', 'pat-3']) expect(html).toContain(`name="patient" value="${id}"`);
  });
});

describe('process', () => {
  it('logs JSON lines and never a token', () => {
    const json = sb.logLines.filter((l) => l.startsWith('{'));
    expect(json.some((l) => (JSON.parse(l) as { msg?: string }).msg === 'sandbox listening')).toBe(true);
    expect(sb.logLines.join('\n')).not.toMatch(/access_token|Bearer /);
  });

  it('has no control API unless started with --faults', async () => {
    expect(sb.controlUrl).toBeUndefined();
    const origin = new URL(sb.fhirBaseUrl).origin;
    expect((await fetch(`${origin}/_control/faults`, { method: 'POST', body: '[]' })).status).toBe(404);
  });
});
