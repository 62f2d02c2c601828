import { DeliveryFailure } from './delivery-failure';

/** The `fetch` signature we use (Node's global one by default; tests may inject another). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** An EHR answer read in full (within bounds). */
export interface BoundedResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface FetchBoundedOptions {
  fetch?: FetchLike;
  /** For the whole exchange, answer body included. */
  timeoutMs: number;
  /** Largest answer body accepted (SECURITY-CASES 30: an oversized answer is cut off, not buffered). */
  maxBytes: number;
}

/** Default bound on an EHR answer: a transaction-response for a large batch is far below it. */
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * One HTTP exchange with the EHR: redirects are never followed (`redirect: 'manual'`; a 3xx fails the
 * attempt — SECURITY-CASES 30 and 47), the whole exchange is bounded in time and the answer in size, and
 * every way the network can fail becomes a retryable {@link DeliveryFailure}.
 */
export async function fetchBounded(url: string, init: RequestInit, options: FetchBoundedOptions): Promise<BoundedResponse> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await (options.fetch ?? fetch)(url, { ...init, redirect: 'manual', signal });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new DeliveryFailure('ERR_EHR_REDIRECT', `the EHR answered ${response.status} (a redirect, not followed)`, 'retry', { status: response.status });
    }
    const text = await readBounded(response, options.maxBytes);
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    throw asDeliveryFailure(error, signal);
  }
}

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(maxBytes);
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const tooLarge = (maxBytes: number): DeliveryFailure =>
  new DeliveryFailure('ERR_EHR_RESPONSE_TOO_LARGE', `the EHR's answer exceeds ${maxBytes} bytes`, 'retry');

function asDeliveryFailure(error: unknown, signal: AbortSignal): DeliveryFailure {
  if (error instanceof DeliveryFailure) return error;
  if (signal.aborted) return new DeliveryFailure('ERR_EHR_TIMEOUT', 'the EHR did not answer in time', 'retry');
  // undici reports resets, refused connections and answers cut half-way as TypeError('fetch failed'/'terminated')
  // with the socket error as `cause`.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const what = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
  return new DeliveryFailure('ERR_EHR_NETWORK', `the connection to the EHR failed (${what})`, 'retry');
}
