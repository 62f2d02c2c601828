import type { Bundle, Resource } from 'fhir/r4';
import { badRequest, forbidden, notFound } from '../errors/fhir-error';
import { isPermitted, parseScopes, type Interaction, type Permission } from '../smart';
import { conditionalUpdateId, findConditionalMatch } from './conditional-target';
import { parseQuery, processTransaction } from './process-transaction';
import { parseJson, type Reply } from './http-io';
import type { SandboxStore } from './sandbox-store';
import { searchPage } from './search-page';

/** What a verified sandbox access token grants. */
export interface SandboxAccess {
  clientId: string;
  scope: string;
  /** Launch-context patient id, confining `patient/` scopes. */
  patient?: string;
}

/** One FHIR request, already authenticated. `path` is relative to the FHIR base (`/Patient/1`, `/`). */
export interface FhirRequest {
  method: string;
  path: string;
  search: string;
  body: string;
  access: SandboxAccess;
  /** The absolute FHIR base of this server (paging links, fullUrls). */
  baseUrl?: string;
  /** `If-None-Exist` header of a create. See: https://hl7.org/fhir/R4/http.html#ccreate */
  ifNoneExist?: string;
  /** `Prefer` header: `return=minimal` leaves resources out of the answer. See: https://hl7.org/fhir/R4/http.html#ops */
  prefer?: string;
}

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

/**
 * The sandbox's FHIR REST subset: read, search (paged), create (conditional with `If-None-Exist`), update and
 * conditional update (`PUT Type?search`), and transaction Bundles, each checked against the
 * token's SMART scopes (a `patient/` scope only sees that patient's compartment).
 * See: https://hl7.org/fhir/R4/http.html
 */
export function handleFhirRequest(store: SandboxStore, request: FhirRequest): Reply {
  const parts = request.path.split('/').filter((p) => p !== '');
  const perms = parseScopes(request.access.scope);
  const [type, id, extra] = parts;
  if (request.method === 'POST' && type === undefined) {
    const bundle = parseJson(request.body);
    for (const entry of (bundle as Bundle).entry ?? []) {
      need(perms, entry.resource?.resourceType ?? '', entry.request?.method === 'PUT' ? 'u' : 'c');
    }
    return fhirJson(200, processTransaction(store, bundle, { return: minimal(request) ? 'minimal' : 'representation' }));
  }
  if (type === undefined || !TYPE.test(type) || extra !== undefined) throw notFound(`no route for ${request.method} ${request.path}`);
  if (request.method === 'GET' && id !== undefined) return read(store, perms, request.access, type, id);
  if (request.method === 'GET') return search(store, perms, request, type);
  if (request.method === 'POST' && id === undefined) return create(store, perms, type, request);
  if (request.method === 'PUT') return update(store, perms, type, id, request);
  throw notSupported(request.method);
}

function read(store: SandboxStore, perms: Permission[], access: SandboxAccess, type: string, id: string): Reply {
  need(perms, type, 'r');
  const resource = store.read(type, id);
  // Out of compartment answers 404, as if it did not exist (it must not leak that it does).
  if (resource === undefined || !visible(perms, access, resource, 'r')) throw notFound(`${type}/${id} not found`);
  return fhirJson(200, resource);
}

function search(store: SandboxStore, perms: Permission[], request: FhirRequest, type: string): Reply {
  need(perms, type, 's');
  const query = parseQuery(request.search);
  const found = store.search(type, query).filter((r) => visible(perms, request.access, r, 's'));
  return fhirJson(200, searchPage({ found, type, query, baseUrl: request.baseUrl ?? '' }));
}

/** Create; with `If-None-Exist`, a conditional create: one match answers 200 with it and creates nothing. */
function create(store: SandboxStore, perms: Permission[], type: string, request: FhirRequest): Reply {
  need(perms, type, 'c');
  const resource = bodyOf(request, type);
  if (request.ifNoneExist !== undefined) {
    const match = findConditionalMatch(store, type, parseQuery(request.ifNoneExist), [], 'If-None-Exist');
    if (match.existing !== undefined) return written(request, 200, match.existing);
  }
  const id = store.newId();
  store.commit([{ ...resource, id }]);
  return written(request, 201, store.read(type, id)!);
}

/**
 * `PUT Type/id` (update, or create with that id) and `PUT Type?search` (conditional update: the one match is
 * updated, none creates, several is 412). See: https://hl7.org/fhir/R4/http.html#update and #cond-update
 */
function update(store: SandboxStore, perms: Permission[], type: string, id: string | undefined, request: FhirRequest): Reply {
  need(perms, type, 'u');
  const resource = bodyOf(request, type);
  let target: string;
  if (id !== undefined) {
    if (resource.id !== id) throw badRequest('ERR_SANDBOX_UPDATE_ID', `the body's id must be '${id}'`, 'id');
    target = id;
  } else {
    if (request.search === '') throw badRequest('ERR_SANDBOX_PUT_URL', `PUT needs ${type}/<id> or ${type}?<search>`);
    const match = findConditionalMatch(store, type, parseQuery(request.search), [], request.search);
    target = conditionalUpdateId(match, resource, () => store.newId(), 'id');
  }
  const existed = store.read(type, target) !== undefined;
  store.commit([{ ...resource, id: target }]);
  return written(request, existed ? 200 : 201, store.read(type, target)!);
}

function bodyOf(request: FhirRequest, type: string): Resource {
  const resource = parseJson(request.body) as Resource;
  if (resource?.resourceType !== type) throw badRequest('ERR_SANDBOX_TYPE', `body must be a ${type}`, 'resourceType');
  return resource;
}

function written(request: FhirRequest, status: number, saved: Resource): Reply {
  const version = saved.meta?.versionId ?? '1';
  const headers = { location: `${saved.resourceType}/${String(saved.id)}/_history/${version}`, etag: `W/"${version}"` };
  return minimal(request) ? { status, headers } : fhirJson(status, saved, headers);
}

const minimal = (request: FhirRequest): boolean => /(^|[;,\s])return=minimal\b/.test(request.prefer ?? '');

function need(perms: Permission[], type: string, interaction: Interaction): void {
  if (!isPermitted(perms, type, interaction)) {
    throw forbidden('ERR_SANDBOX_SCOPE', `the token's scopes do not allow '${interaction}' on ${type}`);
  }
}

/** A resource is visible when a system/user scope grants it, or a patient scope does and it is in the compartment. */
function visible(perms: Permission[], access: SandboxAccess, resource: Resource, interaction: Interaction): boolean {
  const granting = perms.filter((p) => (p.resourceType === '*' || p.resourceType === resource.resourceType) && p.interactions.has(interaction));
  if (granting.some((p) => p.context !== 'patient')) return true;
  if (access.patient === undefined) return false;
  const r = resource as Resource & { subject?: { reference?: string }; patient?: { reference?: string } };
  if (resource.resourceType === 'Patient') return resource.id === access.patient;
  return [r.subject?.reference, r.patient?.reference].some((ref) => ref === `Patient/${access.patient}`);
}

const fhirJson = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({ status, body, headers });

function notSupported(method: string): Error {
  return badRequest('ERR_SANDBOX_METHOD', `the sandbox does not support ${method} here`);
}

/** A small CapabilityStatement, true to what this endpoint does. */
export function sandboxCapabilityStatement(baseUrl: string, authorizeUrl: string, tokenUrl: string): Reply {
  return fhirJson(200, {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2025-01-01',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    implementation: { description: 'iomt-bridge sandbox EHR', url: baseUrl },
    rest: [{
      mode: 'server',
      security: {
        service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
        extension: [{
          url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
          extension: [{ url: 'authorize', valueUri: authorizeUrl }, { url: 'token', valueUri: tokenUrl }],
        }],
      },
      resource: ['Patient', 'Practitioner', 'Encounter', 'Device', 'Observation'].map((type) => ({
        type,
        interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }, { code: 'update' }],
        conditionalCreate: true,
        conditionalUpdate: true,
        updateCreate: true,
        searchParam: [
          { name: 'identifier', type: 'token' }, { name: '_id', type: 'token' },
          ...(type === 'Observation' || type === 'Device' || type === 'Encounter' ? [{ name: 'patient', type: 'reference' }] : []),
        ],
      })),
      interaction: [{ code: 'transaction' }],
    }],
  });
}
