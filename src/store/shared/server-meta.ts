import type { Meta, Resource } from 'fhir/r4';
import { canonicalJson } from '../../audit/canonical-json';

/**
 * Server-owned fields (security case 19, mass assignment): whatever a resource carries in
 * `meta.versionId`, `meta.lastUpdated` and `meta.security` is dropped; the store sets the first two.
 * Security labels drive access decisions, so they are never taken from device data.
 * `meta.profile`, `meta.tag` and `meta.source` are kept (the mapping sets them).
 * See: https://hl7.org/fhir/R4/resource.html#Meta
 */
export function withoutServerMeta<T extends Resource>(resource: T): T {
  if (resource.meta === undefined) return resource;
  const { versionId: _v, lastUpdated: _l, security: _s, ...kept } = resource.meta;
  const copy: T = { ...resource };
  if (Object.keys(kept).length > 0) copy.meta = kept;
  else delete copy.meta;
  return copy;
}

/** The resource as stored: `resourceType`, `id`, then `meta` with the server's version and time. */
export function withServerMeta<T extends Resource>(resource: T, versionId: string, lastUpdated: string): T {
  const { resourceType, id, meta, ...rest } = resource;
  const serverMeta: Meta = { ...meta, versionId, lastUpdated };
  return { resourceType, id, meta: serverMeta, ...rest } as unknown as T;
}

/** True when two resources differ only in server-owned meta (the resend of an identical reading). */
export function sameContent(stored: Resource, incoming: Resource): boolean {
  return canonicalJson(withoutServerMeta(stored)) === canonicalJson(withoutServerMeta(incoming));
}
