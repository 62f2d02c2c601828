import { DeliveryFailure } from './delivery-failure';
import { ehrUrl } from './ehr-url';
import { fetchBounded, type BoundedResponse, type FetchLike } from './fetch-bounded';
import { parseRetryAfter } from './retry-policy';
import type { TokenSource } from './token-source';

export interface EhrClientOptions {
  baseUrl: string;
  tokens: TokenSource;
  timeoutMs: number;
  maxResponseBytes: number;
  fetch?: FetchLike;
  now?: () => number;
  /** Duration (ms) of each exchange, by operation, for the latency metric. */
  onLatency?: (operation: string, ms: number) => void;
}

/** Authenticated FHIR requests to the EHR, only ever inside its base URL. */
export interface EhrClient {
  readonly baseUrl: string;
  /**
   * Sends the request with a bearer token; on 401 gets one fresh token and tries once more. Returns any answer
   * that is not 401; throws a retryable {@link DeliveryFailure} when the exchange itself fails.
   */
  send(operation: string, method: 'GET' | 'POST', pathOrUrl: string, body?: unknown): Promise<BoundedResponse>;
}

export function createEhrClient(options: EhrClientOptions): EhrClient {
  const now = options.now ?? Date.now;
  const once = async (method: string, url: string, token: string, body: unknown): Promise<BoundedResponse> => {
    const headers: Record<string, string> = { accept: 'application/fhir+json', authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/fhir+json';
    return fetchBounded(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, {
      fetch: options.fetch, timeoutMs: options.timeoutMs, maxBytes: options.maxResponseBytes,
    });
  };
  return {
    baseUrl: options.baseUrl,
    async send(operation, method, pathOrUrl, body) {
      const url = ehrUrl(pathOrUrl, options.baseUrl);
      if (url === undefined) {
        throw new DeliveryFailure('ERR_EHR_URL_OUTSIDE_BASE', `${pathOrUrl} is outside the EHR base URL; not requested`, 'reject');
      }
      const started = now();
      try {
        let token = await options.tokens.get();
        let res = await once(method, url, token, body);
        if (res.status === 401) {
          // One fresh token: the cached one may have been revoked or expired early (SMART backend services).
          options.tokens.invalidate(token);
          token = await options.tokens.get();
          res = await once(method, url, token, body);
        }
        if (res.status === 401) throw new DeliveryFailure('ERR_EHR_UNAUTHORIZED', 'the EHR refused a fresh access token (401)', 'retry', { status: 401, response: res.text });
        return res;
      } finally {
        options.onLatency?.(operation, now() - started);
      }
    },
  };
}

/**
 * What an EHR status means for the entries. 408, 429 and 5xx are transient; 403 is our credentials' scope,
 * not the data's fault, so it pauses delivery rather than discarding readings; any other 4xx rejects the content.
 * See: https://hl7.org/fhir/R4/http.html#transaction-response
 */
export function failureOfStatus(res: BoundedResponse, nowMs: number): DeliveryFailure | undefined {
  const { status } = res;
  if (status >= 200 && status < 300) return undefined;
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), nowMs);
  const details = { status, response: res.text, retryAfterMs };
  if (status === 408 || status === 429 || status >= 500 || status === 403) {
    return new DeliveryFailure('ERR_EHR_HTTP_STATUS', `the EHR answered ${status}`, 'retry', details);
  }
  return new DeliveryFailure('ERR_EHR_REJECTED', `the EHR rejected the content (${status})`, 'reject', details);
}
