import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { FhirError, unauthorized } from '../errors/fhir-error';
import { handleControl, isLoopback } from './control-api';
import type { FaultBehaviour, FaultQueue } from './fault-queue';
import { handleFhirRequest, type SandboxAccess } from './fhir-routes';
import { encodeReply, errorReply, jsonReply, readBody, sendReply, type Reply } from './http-io';
import type { SandboxLog } from './sandbox-log';
import type { SandboxStore } from './sandbox-store';

/** What the FHIR endpoint needs from the rest of the sandbox. */
export interface FhirServerDeps {
  store: SandboxStore;
  /** Present when fault injection (and the control API) is on. */
  faults?: FaultQueue;
  /** Path of the FHIR base on this server, e.g. `/fhir`. */
  basePath: string;
  /** The absolute FHIR base (paging links and fullUrls in searchsets). */
  baseUrl?: string;
  smartConfiguration: () => unknown;
  capabilityStatement: () => Reply;
  /** Resolves to what the token grants, or undefined when it is not a valid sandbox token for this server. */
  verifyAccessToken: (token: string) => Promise<SandboxAccess | undefined>;
  log: SandboxLog;
}

/**
 * The sandbox FHIR endpoint as a plain `node:http` request handler (raw sockets are what faults need to
 * misbehave: resets, half responses, answers that never come).
 */
export function createFhirHandler(deps: FhirServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    serve(deps, req, res).catch((error: unknown) => {
      deps.log.error('sandbox fhir request failed', { err: String(error) });
      if (!res.headersSent) sendReply(res, errorReply(error));
      else res.destroy();
    });
  };
}

async function serve(deps: FhirServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
  if (url.pathname.startsWith('/_control/') && deps.faults !== undefined) {
    const reply = isLoopback(req.socket.remoteAddress)
      ? await attempt(async () => handleControl(deps.store, deps.faults!, method, url.pathname, await readBody(req)))
      : errorReply(FhirError.of('ERR_SANDBOX_CONTROL_REMOTE', { code: 'forbidden', text: 'control API is loopback only' }));
    return sendReply(res, reply);
  }
  const fault = deps.faults?.take(method, url.pathname);
  if (fault !== undefined) deps.log.info('sandbox fault', { method, path: url.pathname, fault });
  if (fault !== undefined && 'reset' in fault) return void req.socket.destroy();
  if (fault !== undefined && 'hang' in fault) return; // the socket stays open until the client gives up or we stop
  if (fault !== undefined && 'status' in fault) return faultStatus(req, res, fault);
  if (fault !== undefined && 'delayMs' in fault) await delay(fault.delayMs);
  const reply = await attempt(() => route(deps, req, method, url));
  writeWithFault(res, reply, fault);
}

async function route(deps: FhirServerDeps, req: IncomingMessage, method: string, url: URL): Promise<Reply> {
  const base = deps.basePath;
  if (url.pathname !== base && !url.pathname.startsWith(`${base}/`)) throw FhirError.of('ERR_NOT_FOUND', { code: 'not-found', text: 'not a FHIR path' });
  const path = url.pathname.slice(base.length) || '/';
  if (method === 'GET' && path === '/.well-known/smart-configuration') {
    // SMART 2.2 §2.1: discovery is public and CORS-open.
    return jsonReply(200, deps.smartConfiguration(), { 'access-control-allow-origin': '*' });
  }
  if (method === 'GET' && path === '/metadata') return deps.capabilityStatement();
  const access = await authenticate(deps, req);
  const body = method === 'POST' || method === 'PUT' ? await readBody(req) : '';
  return handleFhirRequest(deps.store, {
    method, path, search: url.search, body, access, baseUrl: deps.baseUrl ?? base,
    ifNoneExist: header(req, 'if-none-exist'), prefer: header(req, 'prefer'),
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

async function authenticate(deps: FhirServerDeps, req: IncomingMessage): Promise<SandboxAccess> {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(header);
  if (match === null) throw unauthorized('ERR_SANDBOX_NO_TOKEN', 'a Bearer access token from the sandbox authorization server is required');
  const access = await deps.verifyAccessToken(match[1]!);
  if (access === undefined) throw unauthorized('ERR_SANDBOX_BAD_TOKEN', 'the access token is invalid, expired, or not for this server');
  return access;
}

async function attempt(make: () => Promise<Reply> | Reply): Promise<Reply> {
  try {
    return await make();
  } catch (error) {
    return errorReply(error);
  }
}

async function faultStatus(req: IncomingMessage, res: ServerResponse, fault: { status: number; retryAfter?: string | number }): Promise<void> {
  await readBody(req).catch(() => '');
  const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
  const code = fault.status === 429 ? 'throttled' : fault.status === 401 ? 'login' : fault.status >= 500 ? 'transient' : 'processing';
  const reply = errorReply(FhirError.of('ERR_SANDBOX_INJECTED', { code, text: `injected fault: ${fault.status}` }, { status: fault.status, headers }));
  sendReply(res, reply);
}

/** Writes the reply whole, half (then cuts), or not at all (then cuts), as the fault says. */
function writeWithFault(res: ServerResponse, reply: Reply, fault: FaultBehaviour | undefined): void {
  if (fault !== undefined && 'dropAfterCommit' in fault) return void res.socket?.destroy();
  if (fault !== undefined && 'partial' in fault) {
    const { bytes, headers } = encodeReply(reply);
    res.writeHead(reply.status, headers);
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
    return;
  }
  sendReply(res, reply);
}
