import type { Device, Observation } from 'fhir/r4';
import type { DeviceQuery, ObservationQuery, SearchPage } from '../port';
import { deviceFilter, observationFilter } from '../shared/search-filters';
import { numbered, page } from '../shared/sql-fragments';
import type { Pool } from './connect-pool';

/**
 * The searches, over the same index tables and the same WHERE fragments as the SQLite adapter
 * (../shared/sql-fragments.ts), with placeholders numbered for PostgreSQL. Ordering is the SQLite one:
 * ids are `COLLATE "C"` (byte order), so pages hold the same resources on both adapters.
 * See: https://hl7.org/fhir/R4/search.html
 */
export async function searchObservations(pool: Pool, query: ObservationQuery, nowMs: number): Promise<SearchPage<Observation>> {
  const [limit, offset] = page(query.count, query.offset);
  const where = observationFilter(query, nowMs);
  const total = await count(pool, `SELECT COUNT(*)::int AS n FROM observation_index o WHERE ${where.sql}`, where.params);
  if (limit === 0) return { total, resources: [] };
  // Default `-date`, newest first; undated last either way; ties on id ascending.
  const direction = (query.sort ?? '-date') === 'date' ? 'ASC' : 'DESC';
  const rows = await pool.query<{ content: string }>(
    numbered(`SELECT r.content FROM observation_index o JOIN resources r ON r.rid = o.rid
     WHERE ${where.sql}
     ORDER BY o.effective_start ${direction} NULLS LAST, o.id ASC
     LIMIT ? OFFSET ?`),
    [...where.params, limit, offset],
  );
  return { total, resources: rows.rows.map((r) => JSON.parse(r.content) as Observation) };
}

/** Device search by `identifier` (token, AND of OR-lists) and `patient` (references, OR); sorted by id. */
export async function searchDevices(pool: Pool, query: DeviceQuery): Promise<SearchPage<Device>> {
  const [limit, offset] = page(query.count, query.offset);
  const where = deviceFilter(query);
  const total = await count(pool, `SELECT COUNT(*)::int AS n FROM device_index d WHERE ${where.sql}`, where.params);
  if (limit === 0) return { total, resources: [] };
  const rows = await pool.query<{ content: string }>(
    numbered(`SELECT r.content FROM device_index d JOIN resources r ON r.rid = d.rid WHERE ${where.sql} ORDER BY d.id LIMIT ? OFFSET ?`),
    [...where.params, limit, offset],
  );
  return { total, resources: rows.rows.map((r) => JSON.parse(r.content) as Device) };
}

async function count(pool: Pool, sql: string, params: unknown[]): Promise<number> {
  return (await pool.query<{ n: number }>(numbered(sql), params)).rows[0]?.n ?? 0;
}
