import type { Bundle, BundleEntry, FhirResource, Resource } from 'fhir/r4';
import { badRequest } from '../errors/fhir-error';
import { conditionalUpdateId, findConditionalMatch } from './conditional-target';
import type { SandboxStore } from './sandbox-store';

interface Planned {
  resource: Resource;
  /** `201 Created` for a new resource, `200 OK` when a conditional create found one. */
  status: '201 Created' | '200 OK';
  created: boolean;
}

/** How to answer: `minimal` leaves the resources out of the response entries (`Prefer: return=minimal`). */
export interface TransactionOptions {
  now?: Date;
  /** See: https://hl7.org/fhir/R4/http.html#ops (Prefer: return=minimal | representation). */
  return?: 'minimal' | 'representation';
}

/**
 * Applies a `transaction` Bundle all-or-nothing: POST (with optional `ifNoneExist`), PUT `Type/id` and
 * conditional update `PUT Type?search` entries; `urn:uuid:` full URLs are replaced by the ids the server
 * assigned (or found) in every `reference`. A conditional create that finds one match answers `200 OK` with
 * that resource and creates nothing, and a conditional update writes a new version of the one match (or
 * creates), so a retried or replayed Bundle never duplicates.
 * See: https://hl7.org/fhir/R4/http.html#transaction, https://hl7.org/fhir/R4/http.html#ccreate and
 * https://hl7.org/fhir/R4/http.html#cond-update
 */
export function processTransaction(store: SandboxStore, bundle: unknown, options: TransactionOptions = {}): Bundle {
  const now = options.now ?? new Date();
  const entries = checkTransaction(bundle);
  const planned: Planned[] = [];
  const idByFullUrl = new Map<string, string>();
  entries.forEach((entry, i) => {
    const plan = planEntry(store, entry, i, planned);
    planned.push(plan);
    if (entry.fullUrl !== undefined) idByFullUrl.set(entry.fullUrl, `${plan.resource.resourceType}/${plan.resource.id}`);
  });
  const toStore = planned.filter((p) => p.created).map((p) => resolveReferences(p.resource, idByFullUrl));
  store.commit(toStore, now);
  return {
    resourceType: 'Bundle',
    type: 'transaction-response',
    entry: planned.map((p) => {
      const stored = store.read(p.resource.resourceType, p.resource.id ?? '') ?? p.resource;
      const version = stored.meta?.versionId ?? '1';
      return {
        ...(options.return === 'minimal' ? {} : { resource: stored as FhirResource }),
        response: {
          status: p.status,
          location: `${stored.resourceType}/${stored.id}/_history/${version}`,
          etag: `W/"${version}"`,
          lastModified: stored.meta?.lastUpdated,
        },
      };
    }),
  };
}

function checkTransaction(bundle: unknown): BundleEntry[] {
  const b = bundle as Partial<Bundle> | null;
  if (b === null || typeof b !== 'object' || b.resourceType !== 'Bundle') {
    throw badRequest('ERR_SANDBOX_NOT_A_BUNDLE', 'POST to the base needs a Bundle', 'Bundle');
  }
  if (b.type !== 'transaction') {
    throw badRequest('ERR_SANDBOX_BUNDLE_TYPE', `Bundle.type must be 'transaction', not '${String(b.type)}'`, 'Bundle.type');
  }
  const entries = b.entry ?? [];
  entries.forEach((entry, i) => {
    const at = `Bundle.entry[${i}]`;
    if (entry.resource?.resourceType === undefined) throw badRequest('ERR_SANDBOX_ENTRY', 'entry has no resource', `${at}.resource`);
    if (entry.request === undefined) throw badRequest('ERR_SANDBOX_ENTRY', 'entry has no request', `${at}.request`);
    if (entry.request.method !== 'POST' && entry.request.method !== 'PUT') {
      throw badRequest('ERR_SANDBOX_METHOD', `the sandbox supports POST and PUT entries, not ${entry.request.method}`, `${at}.request.method`);
    }
  });
  return entries;
}

function planEntry(store: SandboxStore, entry: BundleEntry, index: number, earlier: readonly Planned[]): Planned {
  const resource = entry.resource as Resource;
  const request = entry.request!;
  const at = `Bundle.entry[${index}].request`;
  const pending = earlier.filter((p) => p.created).map((p) => p.resource);
  if (request.method === 'PUT') return planUpdate(store, resource, request.url, pending, at);
  if (request.ifNoneExist !== undefined) {
    const match = findConditionalMatch(store, resource.resourceType, parseQuery(request.ifNoneExist), pending, `${at}.ifNoneExist`);
    if (match.existing !== undefined) return { resource: match.existing, status: '200 OK', created: false };
  }
  return { resource: { ...resource, id: store.newId() }, status: '201 Created', created: true };
}

/** `PUT Type/id` (update, or create with that id) or `PUT Type?search` (conditional update). */
function planUpdate(store: SandboxStore, resource: Resource, url: string, pending: readonly Resource[], at: string): Planned {
  const question = url.indexOf('?');
  const path = question < 0 ? url : url.slice(0, question);
  const [type, id, extra] = path.split('/');
  if (type !== resource.resourceType || extra !== undefined || (question < 0 ? id === undefined || id === '' : id !== undefined)) {
    throw badRequest('ERR_SANDBOX_PUT_URL', `PUT url must be ${resource.resourceType}/<id> or ${resource.resourceType}?<search>`, `${at}.url`);
  }
  if (question >= 0) {
    const match = findConditionalMatch(store, type, parseQuery(url.slice(question + 1)), pending, `${at}.url`);
    const target = conditionalUpdateId(match, resource, () => store.newId(), `${at}.url`);
    return { resource: { ...resource, id: target }, status: match.existing === undefined && store.read(type, target) === undefined ? '201 Created' : '200 OK', created: true };
  }
  const exists = store.read(type, id!) !== undefined || pending.some((r) => r.resourceType === type && r.id === id);
  return { resource: { ...resource, id }, status: exists ? '200 OK' : '201 Created', created: true };
}

/** `identifier=sys|val&x=1` → a SearchQuery. */
export function parseQuery(text: string): Map<string, string[]> {
  const query = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(text.replace(/^.*\?/, ''))) {
    query.set(name, [...(query.get(name) ?? []), value]);
  }
  return query;
}

function resolveReferences<T>(value: T, idByFullUrl: ReadonlyMap<string, string>): T {
  if (Array.isArray(value)) return value.map((v: unknown) => resolveReferences(v, idByFullUrl)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = key === 'reference' && typeof v === 'string' && idByFullUrl.has(v) ? idByFullUrl.get(v) : resolveReferences(v, idByFullUrl);
  }
  return out as T;
}
