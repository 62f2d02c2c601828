import type { Observation } from 'fhir/r4';
import type { ObservationQuery, SearchPage } from '../port';
import type { Db } from './open-database';
import { observationFilter } from '../shared/search-filters';
import { page } from '../shared/sql-fragments';

/**
 * Observation search over observation_index (o) and token_index. Filters AND together; the values inside
 * each list OR. Sort is by effective start, default `-date` (newest first: what a trend view wants);
 * observations without an effective time sort last either way; ties break on id ascending so pages are
 * stable. `total` counts every match, not just the page.
 * See: https://hl7.org/fhir/R4/search.html
 */
export function searchObservations(db: Db, query: ObservationQuery, nowMs: number): SearchPage<Observation> {
  const [limit, offset] = page(query.count, query.offset);
  const where = observationFilter(query, nowMs);
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM observation_index o WHERE ${where.sql}`).get(...where.params) as { n: number }).n;
  if (limit === 0) return { total, resources: [] };
  const direction = (query.sort ?? '-date') === 'date' ? 'ASC' : 'DESC';
  const rows = db
    .prepare(
      `SELECT r.content FROM observation_index o
       JOIN resources r ON r.rid = o.rid
       WHERE ${where.sql}
       ORDER BY o.effective_start ${direction} NULLS LAST, o.id ASC
       LIMIT ? OFFSET ?`,
    )
    .pluck()
    .all(...where.params, limit, offset) as string[];
  return { total, resources: rows.map((c) => JSON.parse(c) as Observation) };
}
