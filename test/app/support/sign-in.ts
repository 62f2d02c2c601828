import type { ServerInjectResponse } from '@hapi/hapi';
import type { TestBridge } from '../../support/test-bridge';
import type { FakeEhr } from './fake-ehr';

/** The `name=value` pairs to send back, from a response's Set-Cookie (or `previous` when none). */
export const cookieOf = (res: ServerInjectResponse, previous = ''): string => {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return set.length === 0 ? previous : set.map((c) => c.split(';')[0]).join('; ');
};

/** `GET /launch?…` with the allowed EHR; returns the answer, the authorize URL and the session cookie. */
export async function launch(bridge: TestBridge, query: string, headers: Record<string, string> = {}) {
  const res = await bridge.server.inject({ method: 'GET', url: `/launch?${query}`, headers });
  return { res, location: res.headers.location ? new URL(String(res.headers.location)) : undefined, cookie: cookieOf(res) };
}

/**
 * EHR launch → authorize redirect → (the fake EHR issues a code for the PKCE challenge) → callback.
 * Returns the session cookie of the signed-in app session.
 */
export async function signIn(bridge: TestBridge, ehr: FakeEhr, tokenResponse: Record<string, unknown> = {}): Promise<string> {
  Object.assign(ehr.tokenResponse, tokenResponse);
  const { location, cookie } = await launch(bridge, `iss=${encodeURIComponent(ehr.fhirBaseUrl)}&launch=L-1`);
  if (location === undefined) throw new Error('the launch did not redirect');
  const code = `code-${Math.random()}`;
  ehr.issueCode(code, location.searchParams.get('code_challenge') ?? '');
  const callback = await bridge.server.inject({ method: 'GET', url: `/app/callback?code=${code}&state=${location.searchParams.get('state')}`, headers: { cookie } });
  if (callback.statusCode !== 303) throw new Error(`callback answered ${callback.statusCode}: ${callback.payload.slice(0, 300)}`);
  return cookieOf(callback, cookie);
}
