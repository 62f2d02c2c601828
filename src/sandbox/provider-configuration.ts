import type { JsonWebKey } from 'node:crypto';
import type { KoaContext, OidcModule } from './load-oidc-provider';
import type { LaunchContexts } from './launch-contexts';
import { SANDBOX_CLIENTS, sandboxClients } from './sandbox-clients';
import { jwksUriFetch } from './jwks-uri-fetch';
import type { ResolvedSandboxOptions } from './sandbox-options';
import type { SandboxStore } from './sandbox-store';
import { SANDBOX_PRACTITIONER_ID } from './sample-data';
import { ADVERTISED_RESOURCE_SCOPES, CONTEXT_SCOPES, resourceScopesFor } from './smart-scopes';

/** Everything the oidc-provider configuration closes over. */
export interface ProviderConfigDeps {
  options: ResolvedSandboxOptions;
  /** The sandbox FHIR base (an allowed audience, and the default one). */
  fhirBaseUrl: string;
  keys: JsonWebKey[];
  cookieKeys: string[];
  launches: LaunchContexts;
  store: SandboxStore;
  errors: OidcModule['errors'];
}

type Ctx = KoaContext & { oidc: NonNullable<KoaContext['oidc']> };
interface ClientLike { clientId: string; clientAuthMethod: string; grantTypeAllowed(grant: string): boolean }
interface TokenLike { grantId?: string; clientId: string; kind?: string }

/** The FHIR servers this authorization server issues tokens for (SMART `aud` / RFC 8707 `resource`). */
export const audiencesOf = (deps: Pick<ProviderConfigDeps, 'fhirBaseUrl' | 'options'>): string[] =>
  [deps.fhirBaseUrl, deps.options.bridgeFhirBaseUrl];

/**
 * oidc-provider configuration for a SMART authorization server. Resource scopes go through RFC 8707 resource
 * indicators, so access tokens are bound to one FHIR base (`aud`) and can be JWTs; launch context rides on the
 * grant and reaches tokens through `extraTokenClaims`.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/app-launch.html
 */
export function providerConfiguration(deps: ProviderConfigDeps): Record<string, unknown> {
  const { options } = deps;
  const ttl = options.accessTokenTtlSeconds;
  return {
    clients: sandboxClients(options),
    jwks: { keys: deps.keys },
    cookies: { keys: deps.cookieKeys },
    routes: {
      authorization: '/auth', token: '/token', jwks: '/jwks', introspection: '/introspect',
      revocation: '/revoke', userinfo: '/userinfo', end_session: '/logout',
    },
    scopes: [...CONTEXT_SCOPES],
    claims: { openid: ['sub'], fhirUser: ['fhirUser'], profile: ['name'] },
    // SMART puts fhirUser in the id_token itself, not only behind userinfo.
    conformIdTokenClaims: false,
    extraParams: extraParams(deps),
    pkce: { required: () => true },
    clientBasedCORS: () => true,
    fetch: jwksUriFetch(options),
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: resourceIndicators(deps),
    },
    enabledJWA: {
      // SMART Backend Services: RS384 and ES384 client assertions must be accepted.
      clientAuthSigningAlgValues: ['RS256', 'RS384', 'ES256', 'ES384'],
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, id: string) => findAccount(deps, id),
    extraTokenClaims: (_ctx: unknown, token: TokenLike) => tokenClaims(deps, token),
    issueRefreshToken: (ctx: Ctx, client: ClientLike, source: { scopes: Set<string> }) =>
      client.grantTypeAllowed('refresh_token') && (source.scopes.has('offline_access') || source.scopes.has('online_access')),
    ttl: {
      AccessToken: ttl, ClientCredentials: ttl, AuthorizationCode: 60, IdToken: 3600,
      RefreshToken: 14 * 24 * 3600, Interaction: 3600, Session: 14 * 24 * 3600, Grant: 14 * 24 * 3600,
    },
  };
}

function extraParams(deps: ProviderConfigDeps): Record<string, (ctx: Ctx, value: string | undefined) => void> {
  const { InvalidRequest } = deps.errors;
  const audiences = audiencesOf(deps);
  return {
    // SMART 2.2: the server SHALL reject an authorization request whose `aud` is not a FHIR server it serves.
    aud: (_ctx, value) => {
      if (value === undefined) throw new InvalidRequest!('aud (the FHIR base URL) is required');
      if (!audiences.includes(value.replace(/\/+$/, ''))) throw new InvalidRequest!(`aud '${value}' is not a FHIR server of this EHR`);
    },
    launch: (_ctx, value) => {
      if (value !== undefined && deps.launches.launch(value) === undefined) throw new InvalidRequest!('unknown or expired launch');
    },
    sandbox_patient: (_ctx, value) => {
      if (value !== undefined && deps.store.read('Patient', value) === undefined) throw new InvalidRequest!(`no sandbox patient '${value}'`);
    },
  };
}

function resourceIndicators(deps: ProviderConfigDeps): Record<string, unknown> {
  const audiences = audiencesOf(deps);
  const accepted = new Set(ADVERTISED_RESOURCE_SCOPES);
  return {
    enabled: true,
    defaultResource: async (ctx: Ctx, _client: unknown, oneOf?: string | string[]) => {
      if (oneOf !== undefined) return oneOf;
      const aud = ctx.oidc.params?.aud;
      return typeof aud === 'string' ? aud.replace(/\/+$/, '') : deps.fhirBaseUrl;
    },
    // Refresh and code exchanges keep the audience the user approved.
    useGrantedResource: async () => true,
    getResourceServerInfo: async (ctx: Ctx, resource: string, client: ClientLike) => {
      if (!audiences.includes(resource)) throw new deps.errors.InvalidTarget!();
      const kind = client.clientId === SANDBOX_CLIENTS.backend ? 'backend' : 'app';
      // No wildcard scopes in oidc-provider: accept every well-formed SMART scope as it is first requested.
      for (const scope of resourceScopesFor(ctx.oidc.params?.scope as string | undefined, kind)) accepted.add(scope);
      return {
        scope: resourceScopesFor([...accepted].join(' '), kind).join(' '),
        audience: resource,
        accessTokenTTL: deps.options.accessTokenTtlSeconds,
        accessTokenFormat: deps.options.tokenFormat,
        jwt: { sign: { alg: deps.options.tokenAlg } },
      };
    },
  };
}

/** RFC 7662 §4: only authenticated clients learn about tokens; a public client only about its own. */
async function introspectionAllowed(ctx: Ctx & { oidc: { client?: ClientLike } }, client: ClientLike, token: TokenLike): Promise<boolean> {
  if (client.clientAuthMethod === 'none') return token.clientId === client.clientId;
  return true;
}

function fhirUserOf(deps: ProviderConfigDeps, accountId: string): string {
  return `${deps.fhirBaseUrl}/Practitioner/${accountId}`;
}

function findAccount(deps: ProviderConfigDeps, id: string): { accountId: string; claims: () => Record<string, unknown> } | undefined {
  if (id !== SANDBOX_PRACTITIONER_ID) return undefined;
  return {
    accountId: id,
    claims: () => ({ sub: id, fhirUser: fhirUserOf(deps, id), name: 'Dr. Dana Okoye' }),
  };
}

/** SMART launch context in the access token (and in introspection answers for opaque tokens). */
function tokenClaims(deps: ProviderConfigDeps, token: TokenLike): Record<string, string> | undefined {
  const context = deps.launches.grant(token.grantId);
  if (context === undefined) return undefined;
  const claims: Record<string, string> = {};
  if (context.patient !== undefined) claims.patient = context.patient;
  if (context.encounter !== undefined) claims.encounter = context.encounter;
  if (context.fhirUser !== undefined) claims.fhirUser = context.fhirUser;
  return claims;
}
