import type { Device } from 'fhir/r4';
import type { DeviceQuery, SearchPage } from '../port';
import type { Db } from './open-database';
import { deviceFilter } from '../shared/search-filters';
import { page } from '../shared/sql-fragments';

/**
 * Device search by `identifier` (token, AND of OR-lists) and `patient` (references, OR); sorted by id.
 * See: https://hl7.org/fhir/R4/device.html#search
 */
export function searchDevices(db: Db, query: DeviceQuery): SearchPage<Device> {
  const [limit, offset] = page(query.count, query.offset);
  const where = deviceFilter(query);
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM device_index d WHERE ${where.sql}`).get(...where.params) as { n: number }).n;
  if (limit === 0) return { total, resources: [] };
  const rows = db
    .prepare(
      `SELECT r.content FROM device_index d JOIN resources r ON r.rid = d.rid
       WHERE ${where.sql} ORDER BY d.id LIMIT ? OFFSET ?`,
    )
    .pluck()
    .all(...where.params, limit, offset) as string[];
  return { total, resources: rows.map((c) => JSON.parse(c) as Device) };
}
