import type { Resource } from 'fhir/r4';

/** The fields of a resource the sandbox searches on. */
export interface Searchable {
  identifier?: Array<{ system?: string; value?: string }>;
  subject?: { reference?: string };
  patient?: { reference?: string };
}

/** The id a reference names: `Patient/1`, `1` and `http://…/Patient/1` all name `1`. */
export const referencedId = (reference: string): string => reference.slice(reference.lastIndexOf('/') + 1);

/**
 * Identifier and patient indexes over the sandbox's resources, so a conditional create or update (an identifier
 * lookup) costs the same with ten resources or a million. Each key maps to the ids that carry it; `candidates`
 * narrows a search to those ids and the store still checks every parameter on them, so the index only ever
 * speeds a search up and never changes its answer.
 * See: https://hl7.org/fhir/R4/search.html#token and https://hl7.org/fhir/R4/http.html#ccreate
 */
export class SandboxIndex {
  readonly #ids = new Map<string, Set<string>>();

  /** Indexes `resource` (replacing what `previous`, its earlier version, contributed). */
  update(resource: Resource, previous: Resource | undefined): void {
    if (previous !== undefined) for (const key of keysOf(previous)) this.#ids.get(key)?.delete(previous.id ?? '');
    for (const key of keysOf(resource)) {
      let ids = this.#ids.get(key);
      if (ids === undefined) this.#ids.set(key, (ids = new Set()));
      ids.add(resource.id ?? '');
    }
  }

  clear(): void {
    this.#ids.clear();
  }

  /**
   * Ids of `type` that may match one search parameter (OR across its comma-separated values), or undefined when
   * the index cannot narrow it (then every resource of the type is a candidate).
   */
  candidates(type: string, name: string, value: string): Set<string> | undefined {
    const out = new Set<string>();
    for (const one of value.split(',')) {
      const key = keyFor(type, name, one);
      if (key === undefined) return undefined;
      for (const id of this.#ids.get(key) ?? []) out.add(id);
    }
    return out;
  }
}

/** The key a single search value looks up, or undefined for a search the index does not cover (`system|`). */
function keyFor(type: string, name: string, value: string): string | undefined {
  switch (name) {
    case '_id': return `${type}\u0000id\u0000${value}`;
    case 'patient':
    case 'subject': return `${type}\u0000patient\u0000${referencedId(value)}`;
    case 'identifier': {
      const bar = value.indexOf('|');
      if (bar < 0) return `${type}\u0000value\u0000${value}`;
      if (bar === value.length - 1) return undefined; // `system|` or `|`: any value; scanned
      return `${type}\u0000token\u0000${value}`;
    }
    default: return undefined;
  }
}

function keysOf(resource: Resource): string[] {
  const type = resource.resourceType;
  const r = resource as Resource & Searchable;
  const keys = [`${type}\u0000id\u0000${resource.id ?? ''}`];
  for (const i of r.identifier ?? []) {
    if (typeof i.value !== 'string') continue;
    keys.push(`${type}\u0000value\u0000${i.value}`, `${type}\u0000token\u0000${i.system ?? ''}|${i.value}`);
  }
  for (const ref of [r.subject?.reference, r.patient?.reference]) {
    if (typeof ref === 'string') keys.push(`${type}\u0000patient\u0000${referencedId(ref)}`);
  }
  return keys;
}
