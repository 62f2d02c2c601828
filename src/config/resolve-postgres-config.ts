import type { PostgresConfig } from './config';
import type { ConfigProblem } from './config-error';
import { refuseUnused } from './config-values';

const POSTGRES_ONLY = ['IOMT_POSTGRES_URL', 'IOMT_POSTGRES_SCHEMA', 'IOMT_POSTGRES_POOL_SIZE'];

/**
 * The IOMT_POSTGRES_* variables: undefined unless IOMT_STORE=postgres, which needs IOMT_POSTGRES_URL. The URL
 * usually holds a password, so no problem message ever repeats it (the reasons name the variable only).
 */
export function resolvePostgresConfig(values: ReadonlyMap<string, unknown>, problems: ConfigProblem[]): PostgresConfig | undefined {
  if (values.get('IOMT_STORE') !== 'postgres') {
    refuseUnused(values, POSTGRES_ONLY, 'IOMT_STORE=postgres', problems);
    return undefined;
  }
  const url = values.get('IOMT_POSTGRES_URL') as string | undefined;
  if (url === undefined) problems.push({ variable: 'IOMT_POSTGRES_URL', reason: 'is required with IOMT_STORE=postgres' });
  else checkPostgresUrl(url, problems);
  return {
    url: url ?? '',
    schema: (values.get('IOMT_POSTGRES_SCHEMA') as string | undefined) ?? 'iomt',
    poolSize: (values.get('IOMT_POSTGRES_POOL_SIZE') as number | undefined) ?? 10,
  };
}

/** postgres: or postgresql:, with a host (or a `host=` socket folder in the query, as libpq allows). */
function checkPostgresUrl(value: string, problems: ConfigProblem[]): void {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const reason = url === undefined || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    ? 'must be a postgres:// or postgresql:// URL (the value is not shown: it may hold a password)'
    : url.hostname === '' && !url.searchParams.has('host') ? 'must name a host' : undefined;
  if (reason !== undefined) problems.push({ variable: 'IOMT_POSTGRES_URL', reason });
}
