import Boom from '@hapi/boom';
import type { Plugin, Request } from '@hapi/hapi';
import { FhirError, forbidden, unauthorized } from '../../errors/fhir-error';
import type { AccessContext, Interaction } from '../../smart/contracts';
import { restrictionFilter, type SearchFilter } from '../../smart/query-restrictions';
import { permittedQueries } from '../../smart/scopes';

export type VerifyAccessToken = (token: string) => Promise<AccessContext>;

/** Carries a FhirError through Hapi's auth machinery to the outcomes plugin unchanged. */
const asBoom = (error: FhirError): Boom.Boom => new Boom.Boom(error.message, { statusCode: error.status, data: error });

/** RFC 6750 §2.1: the bearer token travels in the Authorization header and nowhere else. */
export function bearerToken(request: Request): string {
  // SECURITY-CASES 16: a token in the query string is refused outright (it would end up in logs and caches).
  if ('access_token' in request.query) {
    throw unauthorized('ERR_TOKEN_IN_QUERY', 'Access tokens are accepted only in the Authorization header');
  }
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header) : null;
  if (!match?.[1]) throw unauthorized('ERR_TOKEN_MISSING', 'A bearer access token is required');
  return match[1];
}

/**
 * Hapi auth scheme `smart`: every FHIR route except the public discovery ones goes through it.
 * The token is verified once per request; scopes are expanded into permissions at that point.
 */
export const smartAuthPlugin: Plugin<{ verify: VerifyAccessToken }> = {
  name: 'iomt-smart-auth',
  register(server, { verify }) {
    server.auth.scheme('smart', () => ({
      async authenticate(request, h) {
        try {
          const access = await verify(bearerToken(request));
          return h.authenticated({ credentials: { access } as never });
        } catch (error) {
          if (error instanceof FhirError) throw asBoom(error);
          throw error;
        }
      },
    }));
    server.auth.strategy('smart', 'smart');
  },
};

export const accessOf = (request: Request): AccessContext =>
  (request.auth.credentials as unknown as { access: AccessContext }).access;

/**
 * What a request may see: everything, or one patient's compartment; and, under query-restricted scopes,
 * only resources matching one of `restrictions` (undefined = no restriction).
 */
export interface Grant {
  compartment?: string;
  restrictions?: readonly SearchFilter[];
}

/**
 * `null` when an unrestricted permission grants the interaction; otherwise the enforceable restrictions
 * (empty = not granted). A restriction we cannot enforce grants nothing (fail closed).
 */
function grantedFilters(perms: AccessContext['permissions'], resourceType: string, interaction: Interaction): SearchFilter[] | null {
  const queries = permittedQueries(perms, resourceType, interaction);
  if (queries === null) return null;
  return queries.map((q) => restrictionFilter(resourceType, q)).filter((f): f is SearchFilter => f !== undefined);
}

/**
 * Checks the token's permissions for one interaction. `system/` and `user/` scopes grant the type;
 * `patient/` scopes grant it only inside the launch patient's compartment. Query-restricted scopes
 * (SMART v2) grant only matching resources. When both kinds grant it, the wider-context grant is used:
 * a subset of the token's rights, never more.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html
 */
export function authorize(request: Request, resourceType: string, interaction: Interaction): Grant {
  const access = accessOf(request);
  const wide = grantedFilters(access.permissions.filter((p) => p.context !== 'patient'), resourceType, interaction);
  if (wide === null) return {};
  if (wide.length > 0) return { restrictions: wide };
  const narrow = grantedFilters(access.permissions.filter((p) => p.context === 'patient'), resourceType, interaction);
  if (narrow === null || narrow.length > 0) {
    if (!access.patient) throw forbidden('ERR_NO_PATIENT_CONTEXT', 'A patient/ scope needs a patient in the launch context');
    return narrow === null ? { compartment: access.patient } : { compartment: access.patient, restrictions: narrow };
  }
  throw forbidden('ERR_INSUFFICIENT_SCOPE', `The token's scopes do not allow '${interaction}' on ${resourceType}`);
}
