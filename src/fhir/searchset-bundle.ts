import type { Bundle, BundleLink, FhirResource, Resource } from 'fhir/r4';
import type { RawSearchQuery } from './read-search-query';

/** Input of {@link searchsetBundle}. */
export interface SearchsetOptions {
  /** FHIR base, e.g. `http://host/fhir` (a trailing slash is ignored). */
  baseUrl: string;
  /** The searched type, e.g. `Observation`. */
  resourceType: string;
  /** The original (already validated) query, to rebuild the paging links. */
  params: RawSearchQuery;
  total: number;
  resources: Resource[];
  /** The effective (clamped) page size and offset. */
  count: number;
  offset: number;
}

/**
 * A searchset Bundle with `total`, `self`/`next`/`previous` links (the query with `_count`/`_offset` replaced)
 * and one `match` entry per resource. `next` appears only when more results follow; `_count=0` gives the total
 * alone and no paging links. See: https://hl7.org/fhir/R4/http.html#paging and
 * https://hl7.org/fhir/R4/bundle.html#searchset
 *
 * @example
 * searchsetBundle({ baseUrl: 'http://h/fhir', resourceType: 'Observation', params: { patient: 'p1' },
 *   total: 3, resources: [obs1, obs2], count: 2, offset: 0 })
 * // link: self …?patient=p1&_count=2&_offset=0, next …?patient=p1&_count=2&_offset=2
 */
export function searchsetBundle(options: SearchsetOptions): Bundle {
  const base = options.baseUrl.replace(/\/+$/, '');
  const { count, offset, total } = options;
  const url = (at: number): string => `${base}/${options.resourceType}?${queryString(options.params, count, at)}`;
  const link: BundleLink[] = [{ relation: 'self', url: url(offset) }];
  if (count > 0 && offset + count < total) link.push({ relation: 'next', url: url(offset + count) });
  if (count > 0 && offset > 0) link.push({ relation: 'previous', url: url(Math.max(0, offset - count)) });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total,
    link,
    entry: options.resources.map((resource) => ({
      fullUrl: `${base}/${resource.resourceType}/${idOf(resource)}`,
      // @types/fhir types entries as the union of concrete resources; store results are such resources.
      resource: resource as FhirResource,
      search: { mode: 'match' },
    })),
  };
}

function queryString(params: RawSearchQuery, count: number, offset: number): string {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || name === '_count' || name === '_offset') continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(v)}`);
    }
  }
  pairs.push(`_count=${count}`, `_offset=${offset}`);
  return pairs.join('&');
}

function idOf(resource: Resource): string {
  // Stored resources always have an id; one without is a bug upstream, not a client error.
  if (resource.id === undefined) throw new TypeError(`Search result ${resource.resourceType} has no id`);
  return resource.id;
}
