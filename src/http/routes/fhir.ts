import type { ResponseToolkit, ServerRoute } from '@hapi/hapi';
import type { Device, Observation } from 'fhir/r4';
import { forbidden, notFound } from '../../errors/fhir-error';
import { capabilityStatement, parseDeviceSearch, parseObservationSearch, searchsetBundle } from '../../fhir';
import type { HttpDeps } from '../deps';
import { FHIR_JSON } from '../plugins/outcomes';
import { restrictSearch, satisfiesRestriction } from '../../smart/query-restrictions';
import type { SearchPage } from '../../store/port';
import { authorize, type Grant } from '../plugins/smart-auth';
import { auditAccess, auditAccessRefusal } from './access-audit';

type Query = Record<string, string | string[] | undefined>;
const SEARCHABLE = ['Device', 'Observation'] as const;
type SearchableType = (typeof SEARCHABLE)[number];

/** The patient a resource belongs to, for the compartment check. */
function patientOf(resource: Device | Observation): string | undefined {
  if (resource.resourceType === 'Observation') return resource.subject?.reference;
  if (resource.resourceType === 'Device') return resource.patient?.reference;
  return undefined;
}

/**
 * Restricts a patient-scoped search to the launch patient. Naming another patient is refused; naming none
 * is narrowed. (Issue 5 completes the compartment rules; here a patient/ token simply cannot leave it.)
 */
function confine(values: string[] | undefined, grant: Grant): string[] | undefined {
  if (grant.compartment === undefined) return values;
  const own = `Patient/${grant.compartment}`;
  if (values && values.some((v) => v !== own)) {
    throw forbidden('ERR_COMPARTMENT', 'A patient/ scope allows searching only the patient in context');
  }
  return [own];
}

/** Inside the compartment (if any) and matching a query restriction (if any). */
function visibleUnder(grant: Grant, resource: Device | Observation): boolean {
  if (grant.compartment !== undefined && patientOf(resource) !== `Patient/${grant.compartment}`) return false;
  return grant.restrictions === undefined || satisfiesRestriction(resource, grant.restrictions);
}

/** A search that cannot match anything under the token's restrictions answers an empty page, not an error. */
const NOTHING: SearchPage<never> = { total: 0, resources: [] };

function fhirJson(h: ResponseToolkit, body: unknown, status = 200) {
  return h.response(body as object).code(status).type(FHIR_JSON);
}

function readRoute(deps: HttpDeps, type: SearchableType): ServerRoute {
  return {
    method: 'GET', path: `/fhir/${type}/{id}`,
    options: { auth: 'smart', ext: { onPreResponse: { method: auditAccessRefusal(deps, type, 'read') } } },
    async handler(request, h) {
      const grant = authorize(request, type, 'r');
      const resource = (await deps.store.read(type, String(request.params.id))) as Device | Observation | undefined;
      // Out-of-compartment reads, and resources outside a query-restricted scope (SECURITY-CASES 15),
      // answer 404, not 403: existence is not disclosed (SECURITY-CASES 14).
      if (!resource || !visibleUnder(grant, resource)) throw notFound(`${type}/${request.params.id} is not known`, `${type}.id`);
      await auditAccess(deps, request, { interaction: 'read', entities: [`${type}/${resource.id}`], outcome: 'success' });
      return fhirJson(h, resource).header('ETag', `W/"${resource.meta?.versionId ?? '1'}"`);
    },
  };
}

function searchRoute(deps: HttpDeps, type: SearchableType): ServerRoute {
  const { settings } = deps;
  const limits = { defaultCount: settings.fhirDefaultCount, maxCount: settings.fhirMaxCount };
  return {
    method: 'GET', path: `/fhir/${type}`,
    options: { auth: 'smart', ext: { onPreResponse: { method: auditAccessRefusal(deps, type, 'search-type') } } },
    async handler(request, h) {
      const grant = authorize(request, type, 's');
      const params = request.query as Query;
      let page;
      let count;
      let offset;
      if (type === 'Observation') {
        const query = parseObservationSearch(params, limits);
        query.subject = confine(query.subject, grant);
        ({ count, offset } = query);
        const restricted = grant.restrictions ? restrictSearch(query, grant.restrictions) : query;
        page = restricted ? await deps.store.searchObservations(restricted) : NOTHING;
      } else {
        const query = parseDeviceSearch(params, limits);
        query.patient = confine(query.patient, grant);
        ({ count, offset } = query);
        const restricted = grant.restrictions ? restrictSearch(query, grant.restrictions) : query;
        page = restricted ? await deps.store.searchDevices(restricted) : NOTHING;
      }
      await auditAccess(deps, request, { interaction: 'search-type', entities: page.resources.map((r) => `${type}/${r.id}`), outcome: 'success' });
      return fhirJson(h, searchsetBundle({
        baseUrl: settings.fhirBaseUrl, resourceType: type, params, total: page.total, resources: page.resources, count, offset,
      }));
    },
  };
}

export function fhirRoutes(deps: HttpDeps): ServerRoute[] {
  return [
    {
      // Public by SMART's rules: clients discover the server before they hold a token.
      // SMART 2.2: discovery endpoints (this one and .well-known) allow CORS from any origin; nothing else does.
      method: 'GET', path: '/fhir/metadata', options: { auth: false, cors: { origin: ['*'], credentials: false } },
      handler: (_request, h) => fhirJson(h, capabilityStatement({
        baseUrl: deps.settings.fhirBaseUrl, softwareVersion: deps.settings.softwareVersion, now: new Date(deps.now()),
        security: { tokenEndpoint: deps.settings.smart?.tokenUrl, authorizeEndpoint: deps.settings.smart?.authorizeUrl },
      })),
    },
    ...SEARCHABLE.map((type) => readRoute(deps, type)),
    ...SEARCHABLE.map((type) => searchRoute(deps, type)),
  ];
}
