import type { ResolvedSandboxOptions } from './sandbox-options';

/** Client ids and secrets of the sandbox (printed at start; fixed so docs and tests can name them). */
export const SANDBOX_CLIENTS = Object.freeze({
  app: 'iomt-bridge-app',
  confidential: 'sandbox-confidential',
  confidentialSecret: 'sandbox-confidential-secret',
  backend: 'iomt-bridge-backend',
  introspector: 'iomt-bridge-introspector',
  introspectorSecret: 'sandbox-introspector-secret',
});

/** oidc-provider client metadata for the four sandbox clients. See: https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata */
export function sandboxClients(options: ResolvedSandboxOptions): Array<Record<string, unknown>> {
  const backendKeys = options.backendJwks !== undefined ? { jwks: options.backendJwks } : { jwks_uri: options.backendJwksUri };
  return [
    {
      // The bridge's SMART app: public, so PKCE S256 is its only proof (SMART 2.2 requires it).
      client_id: SANDBOX_CLIENTS.app,
      client_name: 'iomt-bridge (SMART app)',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: options.appRedirectUris,
    },
    {
      client_id: SANDBOX_CLIENTS.confidential,
      client_name: 'Sandbox confidential app',
      client_secret: SANDBOX_CLIENTS.confidentialSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: options.appRedirectUris,
    },
    {
      // SMART Backend Services: client_credentials with a private_key_jwt assertion (RS384 / ES384).
      // See: https://hl7.org/fhir/smart-app-launch/STU2.2/backend-services.html
      client_id: SANDBOX_CLIENTS.backend,
      client_name: 'iomt-bridge (backend service)',
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      ...backendKeys,
    },
    {
      // A resource server: may only introspect (RFC 7662 §2.1 requires the caller to authenticate).
      client_id: SANDBOX_CLIENTS.introspector,
      client_name: 'iomt-bridge (resource server, introspection)',
      client_secret: SANDBOX_CLIENTS.introspectorSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ];
}
