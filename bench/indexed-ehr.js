'use strict';
/* global setTimeout */
/**
 * A minimal FHIR endpoint for bench:delivery, as the peer of the sandbox EHR: SMART discovery, a token endpoint
 * that issues a token to any client_credentials request (no assertion check: this measures throughput, not
 * security), and transaction Bundles with ifNoneExist answered from an identifier index (O(1) per entry, where the
 * sandbox scans). Logs `{"msg":"listening","url":…}`; `GET /_stats` returns what it stored.
 */
const { createServer } = require('node:http');
const { randomUUID } = require('node:crypto');

const byIdentifier = new Map();
const arrivals = [];

function transaction(bundle) {
  const ids = new Map();
  const entries = (bundle.entry ?? []).map((entry) => {
    const resource = entry.resource;
    const key = `${resource.resourceType}?${entry.request.ifNoneExist ?? entry.request.url.split('?')[1]}`;
    const existing = byIdentifier.get(key);
    const id = existing ?? randomUUID();
    if (!existing) {
      byIdentifier.set(key, id);
      if (resource.resourceType === 'Observation') arrivals.push([resource.identifier?.[0]?.value, Date.now()]);
    }
    if (entry.fullUrl) ids.set(entry.fullUrl, `${resource.resourceType}/${id}`);
    return { response: { status: existing ? '200 OK' : '201 Created', location: `${resource.resourceType}/${id}/_history/1` } };
  });
  return { resourceType: 'Bundle', type: 'transaction-response', entry: entries };
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const origin = `http://127.0.0.1:${server.address().port}`;
    if (req.url === '/fhir/.well-known/smart-configuration') return send(200, { token_endpoint: `${origin}/token` });
    if (req.url === '/token') return send(200, { access_token: randomUUID(), token_type: 'Bearer', expires_in: 3600 });
    if (req.url === '/_stats') return send(200, { arrivals });
    if (req.method === 'POST' && req.url === '/fhir') return send(200, transaction(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    if (req.url.startsWith('/fhir/Patient/')) return send(200, { resourceType: 'Patient', id: req.url.slice('/fhir/Patient/'.length) });
    send(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${server.address().port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => setTimeout(() => process.exit(0), 0)));
