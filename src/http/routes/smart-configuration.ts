import type { ServerRoute } from '@hapi/hapi';
import { FhirError } from '../../errors/fhir-error';
import type { HttpDeps, SmartEndpoints } from '../deps';

/**
 * SMART App Launch 2.2 discovery: `GET /fhir/.well-known/smart-configuration`.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/conformance.html#metadata
 */

/** Resource types this server serves, in the scopes it understands (v2 and their v1 equivalents). */
const TYPES = ['Observation', 'Device'] as const;

/** What SMART's `scopes_supported` lists for this resource server (RECOMMENDED). */
export function supportedScopes(): string[] {
  const resource = ['patient', 'user', 'system'].flatMap((ctx) => TYPES.flatMap((t) => [`${ctx}/${t}.rs`, `${ctx}/${t}.read`]));
  return ['launch', 'launch/patient', 'openid', 'fhirUser', 'offline_access', 'online_access', ...resource];
}

/**
 * The discovery document, or undefined when no token endpoint is configured (SMART requires one: the
 * route then answers 404 rather than an invalid document). `issuer`/`jwks_uri` are omitted: the
 * authorization server is the EHR's, and we do not claim `sso-openid-connect` for it.
 */
export function smartConfiguration(endpoints: SmartEndpoints | undefined): Record<string, unknown> | undefined {
  if (endpoints?.tokenUrl === undefined) return undefined;
  const launch = endpoints.authorizeUrl !== undefined;
  const capabilities = [
    ...(launch ? ['launch-ehr', 'launch-standalone', 'client-public', 'client-confidential-symmetric', 'context-ehr-patient', 'context-standalone-patient', 'permission-offline'] : []),
    'client-confidential-asymmetric', 'permission-patient', 'permission-user', 'permission-v1', 'permission-v2',
  ];
  return {
    ...(launch ? { authorization_endpoint: endpoints.authorizeUrl } : {}),
    token_endpoint: endpoints.tokenUrl,
    grant_types_supported: launch ? ['authorization_code', 'client_credentials'] : ['client_credentials'],
    ...(endpoints.introspectionUrl !== undefined ? { introspection_endpoint: endpoints.introspectionUrl } : {}),
    scopes_supported: supportedScopes(),
    response_types_supported: ['code'],
    capabilities,
    // PKCE S256 only; `plain` is not offered (SMART 2.2 §"code_challenge_methods_supported").
    code_challenge_methods_supported: ['S256'],
  };
}

/** The discovery route: public (no token), `application/json`, CORS open to any origin — and only here. */
export function smartConfigurationRoutes(deps: HttpDeps): ServerRoute[] {
  return [{
    method: 'GET', path: '/fhir/.well-known/smart-configuration',
    options: { auth: false, cors: { origin: ['*'], credentials: false } },
    handler(_request, h) {
      const document = smartConfiguration(deps.settings.smart);
      if (document === undefined) {
        throw FhirError.of('ERR_SMART_NOT_CONFIGURED', {
          code: 'not-found', text: 'SMART discovery needs IOMT_AUTH_TOKEN_URL (and IOMT_AUTH_AUTHORIZE_URL for app launches)',
        });
      }
      return h.response(document).type('application/json').header('cache-control', 'public, max-age=300');
    },
  }];
}
