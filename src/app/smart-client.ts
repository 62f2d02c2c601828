import type { Request, ResponseToolkit } from '@hapi/hapi';
import smart from 'fhirclient/lib/entry/hapi';

/**
 * A narrow, typed face of fhirclient 2.6.3's Hapi adapter: only what the app uses. Its own typings import the
 * old `hapi` package (see shared SMART-NOTES), so the adapter is reached through this one module.
 * See: http://docs.smarthealthit.org/client-js/api.html
 */

/** fhirclient's storage contract; ours is the server-side session (see session-storage.ts). */
export interface SmartStorage {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<unknown>;
  unset(key: string): Promise<boolean>;
}

export interface AuthorizeOptions {
  clientId: string;
  scope: string;
  /** Absolute: a relative one would be built from the (spoofable) Host header. */
  redirectUri: string;
  iss: string;
  launch?: string;
  pkceMode: 'required';
  /** Used verbatim as the OAuth `state` and the storage key: cryptographically random. */
  stateKey: string;
}

/** The parts of fhirclient's Client the app reads. */
export interface SmartClient {
  patient: { id: string | null };
  state: { serverUrl: string; clientId?: string; expiresAt?: number; tokenResponse?: Record<string, unknown> };
  environment: { options: Record<string, unknown> };
  getFhirUser(): string | null;
  refreshIfNeeded(): Promise<unknown>;
  request<T>(url: string): Promise<T>;
}

export interface SmartApi {
  authorize(options: AuthorizeOptions): Promise<unknown>;
  ready(): Promise<SmartClient>;
}

/**
 * The SMART API for one request, with our storage. Public clients must send `client_id` when refreshing
 * (oidc-provider requires it), which the Hapi entry cannot be told up front: it is set on each client.
 */
export function smartApi(request: Request, h: ResponseToolkit, storage: SmartStorage): SmartApi {
  // The adapter's types name the old `hapi` package; the runtime objects are Hapi 21's (see SMART-NOTES).
  const api = smart(request as never, h as never, () => storage as never) as unknown as SmartApi;
  return {
    authorize: (options) => api.authorize(options),
    async ready() {
      const client = await api.ready();
      client.environment.options.refreshTokenWithClientId = true;
      return client;
    },
  };
}
