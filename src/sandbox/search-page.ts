import type { Bundle, BundleLink, FhirResource, Resource } from 'fhir/r4';
import { badRequest } from '../errors/fhir-error';
import type { SearchQuery } from './sandbox-store';

/** Page size when a search names no `_count`, and the most one page holds. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface SearchPageInput {
  /** Every match, in order. */
  found: readonly Resource[];
  type: string;
  query: SearchQuery;
  /** The sandbox FHIR base (absolute): every link stays inside it. */
  baseUrl: string;
}

/**
 * One page of a searchset: `total` is every match; `_count` entries from `_offset`; `self`, `first`, and
 * `previous`/`next` links (absolute, on this server's base, carrying the same criteria) while there are more.
 * `_count=0` answers the total only.
 * See: https://hl7.org/fhir/R4/search.html#count and https://hl7.org/fhir/R4/http.html#paging
 */
export function searchPage(input: SearchPageInput): Bundle {
  const count = pagingNumber(input.query, '_count', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const offset = pagingNumber(input.query, '_offset', 0, Number.MAX_SAFE_INTEGER);
  const total = input.found.length;
  const link = (relation: string, at: number): BundleLink => ({ relation, url: pageUrl(input, count, at) });
  const links = [link('self', offset), link('first', 0)];
  if (offset > 0 && count > 0) links.push(link('previous', Math.max(0, offset - count)));
  if (count > 0 && offset + count < total) links.push(link('next', offset + count));
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total,
    link: links,
    entry: input.found.slice(offset, offset + count).map((r) => ({
      fullUrl: `${input.baseUrl}/${r.resourceType}/${String(r.id)}`, resource: r as FhirResource, search: { mode: 'match' },
    })),
  };
}

function pagingNumber(query: SearchQuery, name: string, fallback: number, max: number): number {
  const values = query.get(name);
  if (values === undefined || values.length === 0) return fallback;
  const text = values[values.length - 1]!;
  if (!/^\d{1,15}$/.test(text)) throw badRequest('ERR_SANDBOX_PAGING', `${name} must be a non-negative integer, not '${text}'`, name);
  return Math.min(Number(text), max);
}

function pageUrl(input: SearchPageInput, count: number, offset: number): string {
  const params = new URLSearchParams();
  for (const [name, values] of input.query) {
    if (name === '_count' || name === '_offset') continue;
    for (const value of values) params.append(name, value);
  }
  params.set('_count', String(count));
  if (offset > 0) params.set('_offset', String(offset));
  return `${input.baseUrl}/${input.type}?${params.toString()}`;
}
