import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateClientKey, type ClientKey } from '../../src/delivery';
import { signClientAssertion } from '../../src/delivery/client-assertion';
import { startSandboxProcess, type SandboxProcess } from './support/sandbox-process';
import { tokenRequest } from './support/smart-flow';

// The documented way to try delivery: the sandbox reads the backend client's keys from the bridge's own
// `<bridge-url>/.well-known/jwks.json` — a loopback URL, which oidc-provider refuses to fetch unless told.
let dirs: string[];
let jwksServer: Server;
let jwksRequests: number;
let published: ClientKey;
let sb: SandboxProcess;

beforeAll(async () => {
  dirs = [mkdtempSync(join(tmpdir(), 'iomt-jwks-a-')), mkdtempSync(join(tmpdir(), 'iomt-jwks-b-'))];
  published = await loadOrCreateClientKey(dirs[0]!, 'ES384');
  jwksRequests = 0;
  jwksServer = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    jwksRequests += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [published.publicJwk] }));
  });
  jwksServer.listen(0, '127.0.0.1');
  await once(jwksServer, 'listening');
  const bridgeUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
  sb = await startSandboxProcess(['--bridge-url', bridgeUrl]);
});

afterAll(async () => {
  expect(await sb.stop()).toBe(0);
  jwksServer.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function requestToken(key: ClientKey) {
  const assertion = await signClientAssertion({ key, clientId: sb.clients.backend, tokenUrl: sb.tokenUrl });
  return tokenRequest(sb.tokenUrl, {
    grant_type: 'client_credentials', scope: 'system/Observation.cu',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
  });
}

describe('backend client keys from the default jwks_uri on loopback', () => {
  it('fetches <bridge-url>/.well-known/jwks.json and accepts an assertion signed with the published key', async () => {
    const answer = await requestToken(published);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', scope: 'system/Observation.cu' });
    expect(jwksRequests).toBeGreaterThanOrEqual(1);
  });

  it('still refuses an assertion signed with a key the bridge does not publish', async () => {
    const other = await loadOrCreateClientKey(dirs[1]!, 'ES384');
    const answer = await requestToken(other);
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: 'invalid_client' });
  });
});
