import { ADVERTISED_RESOURCE_SCOPES, CONTEXT_SCOPES } from './smart-scopes';

/** Endpoint URLs of the sandbox authorization server. */
export interface AuthorizationUrls {
  issuer: string;
  authorizeUrl: string;
  tokenUrl: string;
  introspectionUrl: string;
  revocationUrl: string;
  jwksUrl: string;
  userinfoUrl: string;
}

/**
 * `/.well-known/smart-configuration` for the sandbox FHIR base: every field SMART 2.2 requires, and the
 * capabilities the sandbox really has.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/conformance.html#metadata
 */
export function smartConfiguration(urls: AuthorizationUrls): Record<string, unknown> {
  return {
    issuer: urls.issuer,
    jwks_uri: urls.jwksUrl,
    authorization_endpoint: urls.authorizeUrl,
    token_endpoint: urls.tokenUrl,
    introspection_endpoint: urls.introspectionUrl,
    revocation_endpoint: urls.revocationUrl,
    userinfo_endpoint: urls.userinfoUrl,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    scopes_supported: [...CONTEXT_SCOPES, ...ADVERTISED_RESOURCE_SCOPES],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    capabilities: [
      'launch-ehr', 'launch-standalone', 'authorize-post',
      'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric',
      'context-ehr-patient', 'context-ehr-encounter', 'context-standalone-patient', 'context-standalone-encounter',
      'context-banner', 'permission-offline', 'permission-online', 'permission-patient', 'permission-user',
      'permission-v1', 'permission-v2', 'sso-openid-connect',
    ],
  };
}
