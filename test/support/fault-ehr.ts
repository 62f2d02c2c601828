import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';

/**
 * One injected misbehaviour, consumed by the next matching FHIR request (the token endpoint is `path: '/token'`).
 * `dropAfterCommit` applies the transaction and then destroys the socket: the client cannot know it succeeded.
 */
export interface Fault {
  status?: number;
  retryAfter?: string;
  body?: string;
  location?: string;
  hang?: boolean;
  /** Answer normally after this many milliseconds. */
  delayMs?: number;
  reset?: boolean;
  partial?: boolean;
  dropAfterCommit?: boolean;
  /** Only requests whose path starts with this (default: transactions, i.e. POST to the base `/fhir`). */
  path?: string;
  times?: number;
}

export interface FaultEhr {
  baseUrl: string;
  tokenUrl: string;
  /** Stored resources by type (what reached the EHR). */
  resources(type: string): Resource[];
  addPatient(id: string, identifier?: { system: string; value: string }): void;
  /** Stores any resource as is (e.g. a Device the EHR already links to a patient). */
  put(resource: Resource & { id: string }): void;
  faults: Fault[];
  /** A transaction whose body contains any of these strings is refused with 422 and an OperationOutcome (content the EHR will not take). */
  reject: Set<string>;
  /** Every client assertion's header and claims, as received. */
  assertions: Array<{ header: Record<string, unknown>; claims: JWTPayload }>;
  /** Tokens issued; `revokeAll()` makes the EHR answer 401 to them. */
  tokensIssued: string[];
  revokeAll(): void;
  /** Resolves once `predicate` holds, checked after every request (event-driven, no polling). */
  waitFor(predicate: () => boolean): Promise<void>;
  /** Counts per kind of request: `token`, `transaction`, `read`, `search`. */
  counts: Record<string, number>;
  close(): Promise<void>;
}

export interface FaultEhrOptions {
  clientId: string;
  /** Our bridge's public JWKS (the assertions must verify against it). */
  jwks: { keys: JWK[] };
  tokenLifetimeS?: number;
}

/**
 * A small FHIR server over real HTTP for delivery tests: a SMART token endpoint checking private_key_jwt
 * assertions, Patient read/search, Device search and transaction Bundles with conditional create and
 * conditional update on identifiers — plus a queue of faults (status codes, Retry-After, hangs, resets, half
 * answers, commits without an answer). Reusable by any test that needs an EHR misbehaving on cue.
 */
export async function startFaultEhr(options: FaultEhrOptions): Promise<FaultEhr> {
  const store = new Map<string, Map<string, Resource>>();
  const sockets = new Set<Socket>();
  const keys = createLocalJWKSet(options.jwks);
  const state = { reject: new Set<string>(), faults: [] as Fault[], assertions: [] as FaultEhr['assertions'], tokens: new Set<string>(), issued: [] as string[], counts: {} as Record<string, number> };
  let origin = '';
  const count = (k: string): void => void (state.counts[k] = (state.counts[k] ?? 0) + 1);
  const table = (type: string): Map<string, Resource> => store.get(type) ?? store.set(type, new Map()).get(type)!;

  const waiters: Array<{ predicate: () => boolean; resolve: () => void }> = [];
  function checkWaiters(): void {
    for (const w of [...waiters]) {
      if (w.predicate()) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }
  const server: Server = createServer((req, res) => {
    void handle(req, res)
      .catch((e: unknown) => send(res, 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: String(e) }] }))
      .finally(checkWaiters);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const body = await readBody(req);
    const fault = takeFault(url.pathname);
    if (fault?.hang) return;
    if (fault?.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.reset) return void req.socket.destroy();
    if (fault?.status !== undefined) {
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      if (fault.location !== undefined) headers.location = fault.location;
      return send(res, fault.status, fault.body ?? outcome(`injected ${fault.status}`), headers);
    }
    if (url.pathname === '/token') return token(body, res);
    if (url.pathname === '/fhir/.well-known/smart-configuration') return send(res, 200, { token_endpoint: `${origin}/token` });
    const auth = req.headers.authorization?.replace(/^Bearer /, '');
    if (auth === undefined || !state.tokens.has(auth)) return send(res, 401, outcome('invalid token'));
    if (req.method === 'POST' && url.pathname === '/fhir') {
      count('transaction');
      if ([...state.reject].some((r) => body.includes(r))) return send(res, 422, outcome('this EHR refuses that content'));
      const answer = transaction(JSON.parse(body) as Bundle);
      if (typeof answer === 'string') return send(res, 422, outcome(answer));
      if (fault?.dropAfterCommit) return void req.socket.destroy();
      const text = JSON.stringify(answer);
      if (fault?.partial) {
        res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-length': String(text.length) });
        res.write(text.slice(0, text.length / 2));
        return void setImmediate(() => req.socket.destroy());
      }
      return send(res, 200, text);
    }
    return readOrSearch(url, res);
  }

  function takeFault(path: string): Fault | undefined {
    const i = state.faults.findIndex((f) => (f.path === undefined ? path === '/fhir' : path.startsWith(f.path)));
    const fault = state.faults[i];
    if (fault === undefined) return undefined;
    if ((fault.times ?? 1) <= 1) state.faults.splice(i, 1);
    else fault.times = (fault.times ?? 1) - 1;
    return fault;
  }

  async function token(body: string, res: ServerResponse): Promise<void> {
    count('token');
    const form = new URLSearchParams(body);
    const assertion = form.get('client_assertion') ?? '';
    try {
      const { payload, protectedHeader } = await jwtVerify(assertion, keys, { issuer: options.clientId, subject: options.clientId, audience: `${origin}/token`, algorithms: ['ES384', 'RS384'] });
      state.assertions.push({ header: protectedHeader as Record<string, unknown>, claims: payload });
    } catch (e) {
      return send(res, 401, { error: 'invalid_client', error_description: (e as Error).message });
    }
    if (form.get('grant_type') !== 'client_credentials') return send(res, 400, { error: 'unsupported_grant_type' });
    const access = randomUUID();
    state.tokens.add(access);
    state.issued.push(access);
    send(res, 200, { access_token: access, token_type: 'Bearer', expires_in: options.tokenLifetimeS ?? 300, scope: form.get('scope') });
  }

  function readOrSearch(url: URL, res: ServerResponse): void {
    const [, , type, id] = url.pathname.split('/');
    if (type === undefined) return send(res, 404, outcome('not found'));
    if (id !== undefined) {
      count('read');
      const found = table(type).get(id);
      return found ? send(res, 200, found) : send(res, 404, outcome('not found'));
    }
    count('search');
    const matches = byIdentifier(type, url.searchParams.get('identifier') ?? '');
    send(res, 200, { resourceType: 'Bundle', type: 'searchset', total: matches.length, entry: matches.map((r) => ({ resource: r, search: { mode: 'match' } })) });
  }

  function byIdentifier(type: string, token: string): Resource[] {
    const [system, value] = token.includes('|') ? token.split('|') : [undefined, token];
    return [...table(type).values()].filter((r) =>
      ((r as { identifier?: Array<{ system?: string; value?: string }> }).identifier ?? []).some((i) => i.value === value && (system === undefined || i.system === system)));
  }

  /** All-or-nothing: planned first, then applied. Returns an error text for a 422. */
  function transaction(bundle: Bundle): Bundle | string {
    if (bundle.resourceType !== 'Bundle' || bundle.type !== 'transaction') return 'not a transaction';
    const ids = new Map<string, string>();
    const plan: Array<{ resource: Resource; status: string }> = [];
    for (const entry of bundle.entry ?? []) {
      const planned = planEntry(entry);
      if (typeof planned === 'string') return planned;
      plan.push(planned);
      if (entry.fullUrl) ids.set(entry.fullUrl, `${planned.resource.resourceType}/${planned.resource.id}`);
    }
    for (const p of plan) {
      const text = JSON.stringify(p.resource).replace(/"urn:uuid:[0-9a-f-]+"/g, (m) => JSON.stringify(ids.get(JSON.parse(m) as string) ?? m));
      if (p.status !== '200 OK') table(p.resource.resourceType).set(p.resource.id as string, JSON.parse(text) as Resource);
    }
    return { resourceType: 'Bundle', type: 'transaction-response', entry: plan.map((p) => ({ response: { status: p.status, location: `${p.resource.resourceType}/${p.resource.id}/_history/1` } })) };
  }

  function planEntry(entry: BundleEntry): { resource: Resource; status: string } | string {
    const resource = entry.resource as Resource;
    if ((resource as { status?: string }).status === 'entered-in-error') return 'entered-in-error is refused by this EHR';
    const conditional = entry.request?.method === 'POST' ? entry.request.ifNoneExist : entry.request?.url.split('?')[1];
    const token = new URLSearchParams(conditional ?? '').get('identifier');
    if (token === null) return 'conditional create/update needs an identifier';
    const matches = byIdentifier(resource.resourceType, token);
    if (matches.length > 1) return 'multiple matches (412)';
    const existing = matches[0];
    if (entry.request?.method === 'POST' && existing) return { resource: existing, status: '200 OK' };
    return { resource: { ...resource, id: existing?.id ?? randomUUID() }, status: existing ? '200 OK (updated)' : '201 Created' };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl: `${origin}/fhir`,
    tokenUrl: `${origin}/token`,
    resources: (type) => [...table(type).values()],
    addPatient: (id, identifier) => void table('Patient').set(id, { resourceType: 'Patient', id, ...(identifier ? { identifier: [identifier] } : {}) } as Resource),
    put: (resource) => void table(resource.resourceType).set(resource.id, resource),
    faults: state.faults,
    reject: state.reject,
    assertions: state.assertions,
    tokensIssued: state.issued,
    revokeAll: () => state.tokens.clear(),
    counts: state.counts,
    waitFor: (predicate) => new Promise<void>((resolve) => {
      if (predicate()) resolve();
      else waiters.push({ predicate, resolve });
    }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers });
  res.end(text);
}

function outcome(text: string): string {
  return JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: text }] });
}
