import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small EHR over real HTTP for the app's route tests: SMART discovery, a token endpoint that checks the
 * authorization code and the PKCE verifier (S256), refresh, and `Patient/{id}` behind the bearer token.
 * Everything it is asked is recorded, so tests can assert what was (or was not) requested.
 */
export interface FakeEhr {
  fhirBaseUrl: string;
  /** Every request: method and path with query. */
  hits: string[];
  /** Bodies of the token requests, parsed. */
  tokenRequests: Array<Record<string, string>>;
  /** Registers the code the authorize step "issued" for a PKCE challenge. */
  issueCode(code: string, challenge: string): void;
  /** What the next token responses carry (defaults below). */
  tokenResponse: Record<string, unknown>;
  /** Refresh answers 400 invalid_grant when false. */
  refreshWorks: boolean;
  close(): Promise<void>;
}

export const idToken = (claims: Record<string, unknown>): string =>
  `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

async function bodyOf(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

export async function startFakeEhr(options: { s256?: boolean } = {}): Promise<FakeEhr> {
  const codes = new Map<string, string>();
  const ehr = {
    hits: [] as string[], tokenRequests: [] as Array<Record<string, string>>, refreshWorks: true, fhirBaseUrl: '', close: async () => undefined,
    issueCode: (code: string, challenge: string) => void codes.set(code, challenge),
    tokenResponse: {
      token_type: 'Bearer', expires_in: 3600, scope: 'launch openid fhirUser offline_access patient/Patient.rs', patient: 'A',
      refresh_token: 'rt-1', id_token: idToken({ fhirUser: 'Practitioner/prac-1', sub: 'prac-1' }),
    },
  } satisfies FakeEhr as FakeEhr;
  let base = '';
  const server: Server = createServer(async (req, res) => {
    ehr.hits.push(`${req.method} ${req.url}`);
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/fhir/.well-known/smart-configuration') {
      return json(200, {
        authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, capabilities: ['launch-ehr'],
        code_challenge_methods_supported: options.s256 === false ? ['plain'] : ['S256'],
      });
    }
    if (req.url === '/token' && req.method === 'POST') {
      const form = Object.fromEntries(new URLSearchParams(await bodyOf(req)));
      ehr.tokenRequests.push(form);
      if (form.grant_type === 'refresh_token') {
        if (!ehr.refreshWorks || form.client_id === undefined) return json(400, { error: 'invalid_grant' });
        return json(200, { ...ehr.tokenResponse, access_token: 'at-refreshed' });
      }
      const challenge = codes.get(form.code ?? '');
      codes.delete(form.code ?? '');
      const verified = challenge !== undefined && createHash('sha256').update(form.code_verifier ?? '').digest('base64url') === challenge;
      if (!verified) return json(400, { error: 'invalid_grant', error_description: 'code or PKCE verifier does not match' });
      return json(200, { ...ehr.tokenResponse, access_token: 'at-1' });
    }
    const patient = /^\/fhir\/Patient\/([A-Za-z0-9.-]+)$/.exec(req.url ?? '');
    if (patient && req.headers.authorization?.startsWith('Bearer at-')) {
      return json(200, { resourceType: 'Patient', id: patient[1], name: [{ given: ['Ada'], family: 'Rivera' }] });
    }
    return json(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ehr.fhirBaseUrl = `${base}/fhir`;
  ehr.close = () => new Promise((resolve) => server.close(() => resolve()));
  return ehr;
}
