import type { KoaContext } from './load-oidc-provider';
import type { LaunchContexts } from './launch-contexts';

type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

/**
 * OpenID Connect drops `offline_access` unless the request asks for consent (OIDC Core §11); SMART apps ask for
 * `offline_access` without `prompt=consent`, so the sandbox adds it (consent is shown or auto-approved anyway).
 */
export function promptConsentForOfflineAccess(authorizationPath: string): Middleware {
  return async (ctx, next) => {
    if (ctx.path === authorizationPath && ctx.method === 'GET') {
      const scope = typeof ctx.query.scope === 'string' ? ctx.query.scope.split(' ') : [];
      const prompt = typeof ctx.query.prompt === 'string' ? ctx.query.prompt.split(' ') : [];
      if (scope.includes('offline_access') && !prompt.includes('consent')) {
        (ctx as KoaContext & { query: Record<string, string | string[] | undefined> }).query = { ...ctx.query, prompt: [...prompt, 'consent'].join(' ') };
      }
    }
    await next();
  };
}

interface TokenBody {
  access_token?: string;
  scope?: string;
  [field: string]: unknown;
}

/**
 * SMART's token response carries the launch context next to the token (`patient`, `encounter`), and a
 * `scope` listing everything granted — oidc-provider has no hook for either, so this rewrites the body.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/app-launch.html#response-5
 */
export function smartTokenResponse(tokenPath: string, launches: LaunchContexts): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.path !== tokenPath || ctx.status !== 200 || ctx.oidc === undefined) return;
    const body = ctx.body as TokenBody | undefined;
    if (body?.access_token === undefined) return;
    const { AccessToken, AuthorizationCode, RefreshToken, RotatedRefreshToken } = ctx.oidc.entities;
    const context = launches.grant(AccessToken?.grantId);
    if (context?.patient !== undefined) Object.assign(body, { patient: context.patient, need_patient_banner: true });
    if (context?.encounter !== undefined) body.encounter = context.encounter;
    // The access token's own scope names only resource scopes (it is bound to one FHIR server); the app also
    // needs to know that openid, launch/patient, offline_access… were granted.
    const source = AuthorizationCode ?? RotatedRefreshToken ?? RefreshToken;
    if (source?.scope !== undefined) {
      const granted = new Set([...source.scope.split(' '), ...(body.scope ?? '').split(' ')].filter((s) => s !== ''));
      body.scope = [...granted].join(' ');
    }
  };
}
