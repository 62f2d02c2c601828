import type { Request } from '@hapi/hapi';
import type {} from '@hapi/yar';
import type { SmartStorage } from './smart-client';

/**
 * fhirclient's launch state (over 1 KB: PKCE verifier, tokens) kept in the server-side session of
 * @hapi/yar: the browser cookie carries only a sealed session id.
 */
export function sessionStorage(request: Request): SmartStorage {
  return {
    get: async (key) => request.yar.get(key) ?? undefined,
    set: async (key, value) => request.yar.set(key, value),
    unset: async (key) => {
      request.yar.clear(key);
      return true;
    },
  };
}
