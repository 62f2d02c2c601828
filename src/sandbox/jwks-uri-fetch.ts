import type { ResolvedSandboxOptions } from './sandbox-options';

type FetchOptions = RequestInit & { dispatcher?: unknown };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * oidc-provider's outgoing `fetch` (its `fetch` configuration hook). oidc-provider 9 refuses to connect to
 * special-use addresses — loopback included — to stop SSRF through client metadata, so the backend client's
 * default `jwks_uri` (`<bridge-url>/.well-known/jwks.json`, the bridge on this machine) could never be read and
 * every client assertion failed with `invalid_client`. The sandbox is loopback-only by design: exactly the
 * configured backend `jwks_uri`, and only when it is a loopback URL, goes out without that guard; every other
 * request keeps oidc-provider's protection.
 */
export function jwksUriFetch(options: Pick<ResolvedSandboxOptions, 'backendJwksUri'>): (url: string, init: FetchOptions) => Promise<Response> {
  const trusted = trustedLoopbackUrl(options.backendJwksUri);
  return (url, init) => {
    if (trusted !== undefined && url === trusted) {
      const { dispatcher: _ssrfGuard, ...rest } = init;
      return fetch(url, rest);
    }
    return fetch(url, init as RequestInit);
  };
}

function trustedLoopbackUrl(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  const url = new URL(uri);
  return LOOPBACK_HOSTS.has(url.hostname) ? url.href : undefined;
}
