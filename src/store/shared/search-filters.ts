import type { DeviceQuery, ObservationQuery } from '../port';
import { allOf, dateClause, inList, tokenGroup, type Fragment } from './sql-fragments';

/**
 * The WHERE clause of an Observation search over observation_index (o) and token_index: filters AND
 * together, the values inside each list OR. Shared by both adapters (the SQL is dialect-neutral).
 */
export function observationFilter(query: ObservationQuery, nowMs: number): Fragment {
  const parts: Fragment[] = [];
  if (query.subject !== undefined) parts.push(inList('o.subject', query.subject));
  if (query.device !== undefined) parts.push(inList('o.device', query.device));
  for (const group of query.code ?? []) parts.push(tokenGroup('o.rid', 'code', group));
  for (const group of query.category ?? []) parts.push(tokenGroup('o.rid', 'category', group));
  for (const bound of query.date ?? []) parts.push(dateClause(bound, 'o.effective_start', 'o.effective_end', nowMs));
  return allOf(parts);
}

/** The WHERE clause of a Device search over device_index (d): `patient` (OR) and `identifier` (AND of OR-lists). */
export function deviceFilter(query: DeviceQuery): Fragment {
  const parts: Fragment[] = [];
  if (query.patient !== undefined) parts.push(inList('d.patient', query.patient));
  for (const group of query.identifier ?? []) parts.push(tokenGroup('d.rid', 'identifier', group));
  return allOf(parts);
}
