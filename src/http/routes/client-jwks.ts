import type { ServerRoute } from '@hapi/hapi';
import { notFound } from '../../errors/fhir-error';
import type { HttpDeps } from '../deps';

/**
 * Our public keys for SMART Backend Services: the EHR registers this URL (or its content) for our client and
 * verifies our client assertions with it. Public parts only; no authentication (it is meant to be fetched).
 * See: https://hl7.org/fhir/smart-app-launch/backend-services.html#registering-a-client-communicating-public-keys
 */
export function clientJwksRoutes(deps: HttpDeps): ServerRoute[] {
  return [{
    method: 'GET', path: '/.well-known/jwks.json', options: { auth: false },
    handler(_request, h) {
      if (deps.clientJwks === undefined) throw notFound('No client keys are configured');
      return h.response({ keys: deps.clientJwks.keys }).type('application/jwk-set+json').header('cache-control', 'public, max-age=300');
    },
  }];
}
