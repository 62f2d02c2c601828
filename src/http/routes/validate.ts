import type { Request, ServerRoute } from '@hapi/hapi';
import type { Parameters, Resource } from 'fhir/r4';
import { badRequest } from '../../errors/fhir-error';
import type { HttpDeps } from '../deps';
import { ADMIN_SCOPE } from '../plugins/admin-auth';
import { FHIR_JSON } from '../plugins/outcomes';
import { accessOf, authorize } from '../plugins/smart-auth';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `POST /fhir/{type}/$validate`: the runtime validator (the very engine every ingested resource goes through) on
 * a resource sent by a client, answering the OperationOutcome with 200 whether or not the resource is valid.
 * The body is the resource itself, or a Parameters with `resource` and optional `profile` (and `mode`, of which
 * only the default is supported); `?profile=URL` may be given too. Nothing is stored or disclosed, so the scope
 * asked for is modest: `iomt:admin`, or any scope that allows reading `{type}` (e.g. `user/Observation.r`,
 * `system/Observation.rs`). See: https://hl7.org/fhir/R4/resource-operation-validate.html
 */
export function validateRoutes(deps: HttpDeps): ServerRoute[] {
  return [{
    method: 'POST',
    path: '/fhir/{type}/$validate',
    options: { auth: 'smart', payload: { parse: true, allow: ['application/fhir+json', 'application/json'], maxBytes: deps.settings.ingestMaxBytes } },
    handler(request, h) {
      const type = String(request.params.type);
      if (!/^[A-Z][A-Za-z]{1,63}$/.test(type)) throw badRequest('ERR_VALIDATE_TYPE', `'${type}' is not a resource type`);
      allow(request, type);
      const { resource, profiles } = input(request, type);
      const outcome = deps.validator.validate(resource, profiles.length > 0 ? { profiles } : undefined);
      return h.response(outcome).code(200).type(FHIR_JSON);
    },
  }];
}

/** `iomt:admin`, or read access to the type (any context: nothing stored is read). */
function allow(request: Request, type: string): void {
  if (accessOf(request).scopes.includes(ADMIN_SCOPE)) return;
  authorize(request, type, 'r');
}

function input(request: Request, type: string): { resource: Resource; profiles: string[] } {
  const body: unknown = request.payload;
  if (!isObject(body)) throw badRequest('ERR_VALIDATE_BODY', 'The body must be a FHIR resource or a Parameters resource (JSON)');
  const profiles = queryProfiles(request.query.profile);
  let resource: unknown = body;
  if (body.resourceType === 'Parameters' && type !== 'Parameters') {
    const params = (body as unknown as Parameters).parameter ?? [];
    resource = params.find((p) => p.name === 'resource')?.resource;
    for (const p of params) {
      const url = p.name === 'profile' ? p.valueUri ?? p.valueCanonical ?? p.valueString : undefined;
      if (url !== undefined) profiles.push(url);
    }
    const mode = params.find((p) => p.name === 'mode')?.valueCode;
    if (mode !== undefined && mode !== 'create' && mode !== 'update') {
      throw badRequest('ERR_VALIDATE_MODE', `mode '${mode}' is not supported (only create and update, validated alike)`, 'Parameters.parameter');
    }
  }
  if (!isObject(resource)) throw badRequest('ERR_VALIDATE_BODY', "Parameters has no 'resource' to validate", 'Parameters.parameter');
  if (resource.resourceType !== type) {
    throw badRequest('ERR_VALIDATE_TYPE', `The resource is a ${String(resource.resourceType)}, not a ${type}`, `${type}.resourceType`);
  }
  return { resource: resource as unknown as Resource, profiles };
}

function queryProfiles(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
