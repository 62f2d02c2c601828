import { parseScopes } from '../smart';

/** Scopes the authorization server handles itself (OpenID Connect and SMART launch context). */
export const CONTEXT_SCOPES: readonly string[] = [
  'openid', 'fhirUser', 'profile', 'offline_access', 'online_access', 'launch', 'launch/patient', 'launch/encounter',
];

/** A few resource scopes advertised in discovery; any well-formed SMART v1/v2 scope is accepted, wildcards too. */
export const ADVERTISED_RESOURCE_SCOPES: readonly string[] = [
  'patient/*.read', 'patient/*.rs', 'user/*.read', 'user/*.rs', 'system/*.read', 'system/*.rs', 'system/*.cruds',
  'system/Observation.cu', 'system/Device.cu', 'system/Patient.rs',
];

/** Which SMART contexts a client may ask for: backend services act as themselves, apps for a user or patient. */
export type ClientKind = 'backend' | 'app';

/**
 * The well-formed SMART resource scopes in `scope` that a client of this kind may hold (`system/` for a
 * backend service, `patient/` and `user/` for an app). Everything else is not a resource scope.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html
 */
export function resourceScopesFor(scope: string | undefined, kind: ClientKind): string[] {
  if (scope === undefined) return [];
  return scope.split(' ').filter((token) => {
    const [permission] = parseScopes(token);
    if (permission === undefined) return false;
    return kind === 'backend' ? permission.context === 'system' : permission.context !== 'system';
  });
}
