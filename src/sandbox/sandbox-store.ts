import type { Resource } from 'fhir/r4';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { badRequest } from '../errors/fhir-error';
import { sampleResources } from './sample-data';
import { referencedId, SandboxIndex, type Searchable } from './sandbox-index';

/** A query as parsed from a URL: each parameter with all its values (`a=1&a=2` → `['1', '2']`). */
export type SearchQuery = ReadonlyMap<string, readonly string[]>;

/** Parameters the sandbox can search on; any other one is refused, so a conditional create never over-matches. */
const SEARCH_PARAMS = new Set(['_id', 'identifier', 'patient', 'subject', '_count', '_offset']);
/** Paging parameters: they shape the answer, not which resources match. See: https://hl7.org/fhir/R4/search.html#count */
const PAGING_PARAMS = new Set(['_count', '_offset']);

/**
 * The sandbox EHR's resources, in memory, optionally mirrored to a JSON file after every change.
 * Not a FHIR server of record: enough read, search and create semantics for tests and the walkthrough.
 */
export class SandboxStore {
  readonly #byType = new Map<string, Map<string, Resource>>();
  readonly #index = new SandboxIndex();
  /** Insertion order of each `Type/id`, so indexed searches answer in the same order as a scan would. */
  readonly #order = new Map<string, number>();
  readonly #file: string | undefined;

  constructor(options: { dataFile?: string } = {}) {
    this.#file = options.dataFile;
    const saved = this.#file !== undefined && existsSync(this.#file)
      ? (JSON.parse(readFileSync(this.#file, 'utf8')) as Resource[])
      : sampleResources();
    for (const resource of saved) this.#put(resource);
  }

  /** Back to the sample records only. */
  reset(): void {
    this.#byType.clear();
    this.#index.clear();
    this.#order.clear();
    for (const resource of sampleResources()) this.#put(resource);
    this.persist();
  }

  read(type: string, id: string): Resource | undefined {
    return this.#byType.get(type)?.get(id);
  }

  all(type: string): Resource[] {
    return [...(this.#byType.get(type)?.values() ?? [])];
  }

  /**
   * Resources of `type` matching every parameter (AND across parameters, OR across comma-separated values), in
   * insertion order. Identifier, patient and `_id` parameters are answered from the index (O(matches), not
   * O(stored)); the full match is still checked on each candidate.
   */
  search(type: string, query: SearchQuery): Resource[] {
    checkQuery(query);
    const candidates = this.#candidates(type, query);
    if (candidates === undefined) return this.all(type).filter((resource) => matchesQuery(resource, query));
    const byId = this.#byType.get(type);
    const found: Resource[] = [];
    for (const id of candidates) {
      const resource = byId?.get(id);
      if (resource !== undefined && matchesQuery(resource, query)) found.push(resource);
    }
    const order = (r: Resource): number => this.#order.get(`${type}/${r.id ?? ''}`) ?? 0;
    return found.sort((a, b) => order(a) - order(b));
  }

  /** Stores new resources (ids already assigned) in one step, then persists once. */
  commit(resources: readonly Resource[], now = new Date()): void {
    for (const resource of resources) {
      const previous = resource.id === undefined ? undefined : this.read(resource.resourceType, resource.id);
      const version = Number(previous?.meta?.versionId ?? '0') + 1;
      this.#put({ ...resource, meta: { ...resource.meta, versionId: String(version), lastUpdated: now.toISOString() } });
    }
    this.persist();
  }

  /** A fresh server-assigned id. */
  newId(): string {
    return randomUUID();
  }

  persist(): void {
    if (this.#file === undefined) return;
    const all = [...this.#byType.values()].flatMap((byId) => [...byId.values()]);
    // Write then rename, so a crash never leaves half a file behind.
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(all, null, 1), { mode: 0o600 });
    renameSync(`${this.#file}.tmp`, this.#file);
  }

  #put(resource: Resource): void {
    if (resource.id === undefined) throw new Error('a stored resource needs an id');
    let byId = this.#byType.get(resource.resourceType);
    if (byId === undefined) this.#byType.set(resource.resourceType, (byId = new Map()));
    this.#index.update(resource, byId.get(resource.id));
    byId.set(resource.id, resource);
    const key = `${resource.resourceType}/${resource.id}`;
    if (!this.#order.has(key)) this.#order.set(key, this.#order.size);
  }

  /** The smallest candidate set any indexed parameter gives (each value list OR-ed), or undefined: scan. */
  #candidates(type: string, query: SearchQuery): Set<string> | undefined {
    let best: Set<string> | undefined;
    for (const [name, values] of query) {
      for (const value of values) {
        const ids = this.#index.candidates(type, name, value);
        if (ids !== undefined && (best === undefined || ids.size < best.size)) best = ids;
      }
    }
    return best;
  }
}

/**
 * Whether `resource` matches every parameter of `query` (AND across parameters, OR across comma-separated
 * values). Unknown parameters throw: ignoring them would make a conditional create match everything.
 */
export function matchesQuery(resource: Resource, query: SearchQuery): boolean {
  checkQuery(query);
  return [...query].every(([name, values]) =>
    PAGING_PARAMS.has(name) || values.every((value) => value.split(',').some((one) => matches(resource, name, one))));
}

function checkQuery(query: SearchQuery): void {
  for (const name of query.keys()) {
    if (!SEARCH_PARAMS.has(name)) throw badRequest('ERR_SANDBOX_SEARCH_PARAM', `the sandbox cannot search on '${name}'`, name);
  }
}

function matches(resource: Resource, name: string, value: string): boolean {
  const r = resource as Resource & Searchable;
  switch (name) {
    case '_id': return resource.id === value;
    case 'identifier': return matchesIdentifier(r.identifier ?? [], value);
    case 'patient':
    case 'subject': return [r.subject?.reference, r.patient?.reference].some((ref) => sameReference(ref, value));
    default: return false;
  }
}

/** Token search: `system|value`, `|value` (no system), or `value` (any system). See: https://hl7.org/fhir/R4/search.html#token */
function matchesIdentifier(identifiers: ReadonlyArray<{ system?: string; value?: string }>, token: string): boolean {
  const bar = token.indexOf('|');
  if (bar < 0) return identifiers.some((i) => i.value === token);
  const system = token.slice(0, bar);
  const value = token.slice(bar + 1);
  return identifiers.some((i) => (system === '' ? i.system === undefined : i.system === system) && (value === '' || i.value === value));
}

/** `Patient/1`, `1` and `http://…/Patient/1` all name Patient 1. */
function sameReference(reference: string | undefined, wanted: string): boolean {
  if (reference === undefined) return false;
  return reference === wanted || referencedId(reference) === referencedId(wanted);
}
