import type { IncomingMessage, ServerResponse } from 'node:http';
import { FhirError, isFhirError, outcomeOf } from '../errors/fhir-error';

/** A computed answer, written to the socket later (so faults can cut it half-way). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Content type of `body` (default `application/fhir+json`). */
  type?: string;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Reads the whole request body as text (bounded). */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw FhirError.of('ERR_SANDBOX_TOO_LARGE', { code: 'too-long', text: 'request body too large' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body, answering 400 with an OperationOutcome when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw FhirError.of('ERR_SANDBOX_JSON', { code: 'structure', text: 'request body is not JSON' });
  }
}

/** Serialises a reply: bytes plus headers. */
export function encodeReply(reply: Reply): { bytes: Buffer; headers: Record<string, string> } {
  const bytes = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
  const headers: Record<string, string> = { ...reply.headers, 'content-length': String(bytes.length) };
  if (reply.body !== undefined) headers['content-type'] = reply.type ?? 'application/fhir+json; charset=utf-8';
  return { bytes, headers };
}

/** Writes a whole reply. */
export function sendReply(res: ServerResponse, reply: Reply): void {
  const { bytes, headers } = encodeReply(reply);
  res.writeHead(reply.status, headers);
  res.end(bytes);
}

/** Any thrown value as a reply: FhirError keeps its status; anything else is a bare 500 (details go to the log). */
export function errorReply(error: unknown): Reply {
  if (isFhirError(error)) return { status: error.status, body: error.outcome, headers: { ...error.headers } };
  return { status: 500, body: outcomeOf([{ code: 'exception', text: 'internal error' }]) };
}

/** A JSON (not FHIR) reply, for the SMART configuration and the control API. */
export const jsonReply = (status: number, body: unknown, headers: Record<string, string> = {}): Reply =>
  ({ status, body, headers, type: 'application/json; charset=utf-8' });
