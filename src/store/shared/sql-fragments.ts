import { badRequest } from '../../errors/fhir-error';
import type { DateBound, TokenParam } from '../port';

/**
 * Parameterised WHERE fragments shared by the searches of both adapters. Only `?` placeholders and our own
 * column names are concatenated into SQL; every value from a query travels as a bound parameter. The SQL is
 * the subset SQLite and PostgreSQL read alike (TRUE/FALSE, EXISTS, comparisons); the PostgreSQL adapter
 * numbers the placeholders (`$1`, `$2`, …) with {@link numbered}.
 */
export interface Fragment {
  sql: string;
  params: unknown[];
}

/** `column IN (?, …)`. An EMPTY list matches nothing: a compartment filter computed as [] must not widen to all. */
export function inList(column: string, values: readonly string[]): Fragment {
  if (values.length === 0) return { sql: 'FALSE', params: [] };
  return { sql: `${column} IN (${values.map(() => '?').join(', ')})`, params: [...values] };
}

/**
 * One OR-list of tokens on `param` for the resource whose `resources.rid` is in `ridColumn` (a rid names one
 * resource of one type). `code` alone matches any system; `system|code` matches exactly; `system: ''` means
 * "no system" (FHIR `|code`).
 * See: https://hl7.org/fhir/R4/search.html#token
 */
export function tokenGroup(ridColumn: string, param: string, tokens: readonly TokenParam[]): Fragment {
  if (tokens.length === 0) return { sql: 'FALSE', params: [] };
  const alternatives: string[] = [];
  const params: unknown[] = [param];
  for (const token of tokens) {
    if (token.system === undefined) {
      alternatives.push('t.code = ?');
      params.push(token.code);
    } else {
      alternatives.push('(t.code = ? AND t.system = ?)');
      params.push(token.code, token.system);
    }
  }
  const sql = `EXISTS (SELECT 1 FROM token_index t WHERE t.rid = ${ridColumn} AND t.param = ? AND (${alternatives.join(' OR ')}))`;
  return { sql, params };
}

/**
 * A date bound against the resource's range [s, e) (columns `start`/`end`) and the parameter's range
 * [ps, pe), per https://hl7.org/fhir/R4/search.html#prefix:
 *   eq  [s,e) within [ps,pe)                 s >= ps AND e <= pe
 *   ne  not eq                               NOT (s >= ps AND e <= pe)
 *   gt  the range above the value overlaps   e > pe
 *   lt  the range below the value overlaps   s < ps
 *   ge  gt OR eq                             e > pe OR (s >= ps AND e <= pe)
 *   le  lt OR eq                             s < ps OR (s >= ps AND e <= pe)
 *   sa  starts after the value               s >= pe
 *   eb  ends before the value                e <= ps
 *   ap  overlaps the value widened by 10% of its distance from now (the spec's suggested tolerance)
 * A resource without an effective time has NULL bounds: it matches no date filter (SQL NULL logic).
 */
export function dateClause(bound: DateBound, start: string, end: string, nowMs: number): Fragment {
  const { start: ps, end: pe } = checkBound(bound);
  const within = `(${start} >= ? AND ${end} <= ?)`;
  switch (bound.prefix) {
    case 'eq': return { sql: within, params: [ps, pe] };
    case 'ne': return { sql: `NOT ${within}`, params: [ps, pe] };
    case 'gt': return { sql: `${end} > ?`, params: [pe] };
    case 'lt': return { sql: `${start} < ?`, params: [ps] };
    case 'ge': return { sql: `(${end} > ? OR ${within})`, params: [pe, ps, pe] };
    case 'le': return { sql: `(${start} < ? OR ${within})`, params: [ps, ps, pe] };
    case 'sa': return { sql: `${start} >= ?`, params: [pe] };
    case 'eb': return { sql: `${end} <= ?`, params: [ps] };
    case 'ap': {
      const slack = Math.round(Math.abs(nowMs - ps) * 0.1);
      return { sql: `(${start} < ? AND ${end} > ?)`, params: [pe + slack, ps - slack] };
    }
    default:
      throw badRequest('ERR_SEARCH_DATE_PREFIX', `Unknown date prefix ${String(bound.prefix)}`, 'date');
  }
}

function checkBound(bound: DateBound): DateBound {
  if (!Number.isFinite(bound.start) || !Number.isFinite(bound.end)) {
    throw badRequest('ERR_SEARCH_DATE_INVALID', 'Date bound must be finite epoch milliseconds', 'date');
  }
  return bound;
}

/** Most resources one page may hold, whatever `count` asks (security case 22). */
export const MAX_PAGE_SIZE = 1000;

/** LIMIT/OFFSET from the query; `count` above MAX_PAGE_SIZE is lowered (FHIR lets a server return fewer). */
export function page(count: number, offset: number): [number, number] {
  if (!Number.isInteger(count) || count < 0) throw badRequest('ERR_SEARCH_COUNT_INVALID', '_count must be a non-negative integer', '_count');
  if (!Number.isInteger(offset) || offset < 0) throw badRequest('ERR_SEARCH_OFFSET_INVALID', 'offset must be a non-negative integer', '_offset');
  return [Math.min(count, MAX_PAGE_SIZE), offset];
}

/** AND of fragments (TRUE when none). */
export function allOf(fragments: readonly Fragment[]): Fragment {
  if (fragments.length === 0) return { sql: 'TRUE', params: [] };
  return { sql: fragments.map((f) => `(${f.sql})`).join(' AND '), params: fragments.flatMap((f) => f.params) };
}

/**
 * `?` placeholders as PostgreSQL's `$1`, `$2`, … The fragments hold no `?` inside a literal or an operator
 * (they are built from our own text above), so every `?` is a placeholder.
 */
export function numbered(sql: string, first = 1): string {
  let n = first - 1;
  return sql.replace(/\?/g, () => `$${++n}`);
}
