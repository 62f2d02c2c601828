import { signClientAssertion } from './client-assertion';
import type { ClientKey } from './client-key';
import { DeliveryFailure } from './delivery-failure';
import { ehrUrl } from './ehr-url';
import { fetchBounded, type FetchLike } from './fetch-bounded';

/** Access tokens for the EHR. */
export interface TokenSource {
  /** A valid token: the cached one, or one fresh request shared by every concurrent caller. */
  get(): Promise<string>;
  /** The EHR refused `token` (401): drop it, unless a newer one already replaced it. */
  invalidate(token: string): void;
}

export interface TokenSourceOptions {
  ehrBaseUrl: string;
  /** When absent, discovered from `<ehrBaseUrl>/.well-known/smart-configuration`. */
  tokenUrl?: string;
  clientId: string;
  scopes: string;
  key: ClientKey;
  timeoutMs: number;
  fetch?: FetchLike;
  /** Epoch ms. */
  now?: () => number;
  jti?: () => string;
  /** Called with the duration of each token request (ms), for the latency metric. */
  onLatency?: (ms: number) => void;
}

/** A cached token is refreshed this long before it expires (or at 90 % of a shorter lifetime), so none expires in flight. */
const REFRESH_MARGIN_MS = 60_000;
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

interface Cached {
  token: string;
  refreshAt: number;
}

/**
 * SMART Backend Services client credentials grant with a signed client assertion (private_key_jwt).
 * See: https://hl7.org/fhir/smart-app-launch/backend-services.html#obtaining-an-access-token
 */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const now = options.now ?? Date.now;
  let cached: Cached | undefined;
  let inFlight: Promise<string> | undefined;
  let tokenUrl: Promise<string> | undefined;
  const discovered = (): Promise<string> => {
    tokenUrl ??= (options.tokenUrl !== undefined ? Promise.resolve(options.tokenUrl) : discoverTokenUrl(options)).catch((e: unknown) => {
      tokenUrl = undefined; // a failed discovery is retried with the next token request
      throw e;
    });
    return tokenUrl;
  };
  const refresh = async (): Promise<string> => {
    const started = now();
    const url = await discovered();
    const assertion = await signClientAssertion({ key: options.key, clientId: options.clientId, tokenUrl: url, now, jti: options.jti });
    const answer = await requestToken(url, assertion, options);
    options.onLatency?.(now() - started);
    const lifetimeMs = answer.expiresIn * 1000;
    cached = { token: answer.token, refreshAt: started + Math.min(lifetimeMs - REFRESH_MARGIN_MS, lifetimeMs * 0.9) };
    return answer.token;
  };
  return {
    get() {
      if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}

/** `token_endpoint` from the EHR's SMART configuration. See: https://hl7.org/fhir/smart-app-launch/conformance.html */
async function discoverTokenUrl(options: TokenSourceOptions): Promise<string> {
  const url = ehrUrl('.well-known/smart-configuration', options.ehrBaseUrl) as string;
  const res = await fetchBounded(url, { headers: { accept: 'application/json' } }, { fetch: options.fetch, timeoutMs: options.timeoutMs, maxBytes: MAX_TOKEN_RESPONSE_BYTES });
  const fail = (why: string): DeliveryFailure => new DeliveryFailure('ERR_EHR_DISCOVERY', `${url}: ${why}`, 'retry', { status: res.status });
  if (res.status !== 200) throw fail(`answered ${res.status}`);
  const endpoint = parseJsonObject(res.text)?.token_endpoint;
  if (typeof endpoint !== 'string' || !URL.canParse(endpoint)) throw fail('no token_endpoint');
  const parsed = new URL(endpoint);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  // The assertion is bound to this URL (aud), but the access token is not: never send the grant in clear text.
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) throw fail(`token_endpoint ${endpoint} is not https`);
  return endpoint;
}

async function requestToken(url: string, assertion: string, options: TokenSourceOptions): Promise<{ token: string; expiresIn: number }> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    scope: options.scopes,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });
  const res = await fetchBounded(url, {
    method: 'POST', body: body.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  }, { fetch: options.fetch, timeoutMs: options.timeoutMs, maxBytes: MAX_TOKEN_RESPONSE_BYTES });
  const json = parseJsonObject(res.text);
  if (res.status !== 200) {
    // RFC 6749 §5.2 error codes are safe to keep; the description could echo anything, so it is bounded.
    const why = typeof json?.error === 'string' ? json.error.slice(0, 100) : `status ${res.status}`;
    throw new DeliveryFailure('ERR_EHR_TOKEN', `the token endpoint refused the request (${why})`, 'retry', { status: res.status });
  }
  const token = json?.access_token;
  const type = json?.token_type;
  const expiresIn = json?.expires_in ?? 300;
  if (typeof token !== 'string' || token === '' || typeof type !== 'string' || type.toLowerCase() !== 'bearer' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw new DeliveryFailure('ERR_EHR_TOKEN', 'the token endpoint answered without a usable bearer access_token', 'retry', { status: res.status });
  }
  return { token, expiresIn };
}

export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
