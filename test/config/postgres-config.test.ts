import { ConfigError, loadConfig } from '../../src/config';

const options = { cwd: '/srv/bridge', packageRoot: '/opt/iomt-bridge' };
const SECRET = 's3cr3t-pw';

function problems(env: NodeJS.ProcessEnv): Array<{ variable: string; reason: string }> {
  try {
    loadConfig(env, options);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    expect(e.message).not.toContain(SECRET);
    return [...e.problems];
  }
  throw new Error('expected a ConfigError');
}

describe('IOMT_STORE=postgres', () => {
  it('reads the URL, with the default schema and pool size', () => {
    const config = loadConfig({ IOMT_STORE: 'postgres', IOMT_POSTGRES_URL: `postgres://iomt:${SECRET}@db:5432/iomt` }, options);
    expect(config).toMatchObject({ store: 'postgres', postgres: { url: `postgres://iomt:${SECRET}@db:5432/iomt`, schema: 'iomt', poolSize: 10 } });
  });

  it('takes a schema and a pool size', () => {
    const config = loadConfig({ IOMT_STORE: 'postgres', IOMT_POSTGRES_URL: 'postgresql://db/iomt', IOMT_POSTGRES_SCHEMA: 'bridge_a', IOMT_POSTGRES_POOL_SIZE: '20' }, options);
    expect(config.postgres).toEqual({ url: 'postgresql://db/iomt', schema: 'bridge_a', poolSize: 20 });
  });

  it('keeps SQLite the default, with no postgres settings', () => {
    const config = loadConfig({}, options);
    expect(config.store).toBe('sqlite');
    expect(config.postgres).toBeUndefined();
  });

  it.each<[string, NodeJS.ProcessEnv, Array<{ variable: string; reason: string }>]>([
    ['no URL', { IOMT_STORE: 'postgres' }, [{ variable: 'IOMT_POSTGRES_URL', reason: 'is required with IOMT_STORE=postgres' }]],
    ['a URL of another scheme, never echoed', { IOMT_STORE: 'postgres', IOMT_POSTGRES_URL: `mysql://root:${SECRET}@db/x` },
      [{ variable: 'IOMT_POSTGRES_URL', reason: expect.stringMatching(/^must be a postgres:\/\/ or postgresql:\/\/ URL/) as string }]],
    ['not a URL at all', { IOMT_STORE: 'postgres', IOMT_POSTGRES_URL: `host=db password=${SECRET}` },
      [{ variable: 'IOMT_POSTGRES_URL', reason: expect.stringMatching(/^must be a postgres:\/\//) as string }]],
    ['a URL without a host', { IOMT_STORE: 'postgres', IOMT_POSTGRES_URL: 'postgres:///iomt' }, [{ variable: 'IOMT_POSTGRES_URL', reason: 'must name a host' }]],
    ['a schema that is not a plain identifier', { IOMT_STORE: 'postgres', IOMT_POSTGRES_URL: 'postgres://db/x', IOMT_POSTGRES_SCHEMA: 'Iomt; drop' },
      [{ variable: 'IOMT_POSTGRES_SCHEMA', reason: expect.stringContaining('must match pattern') as string }]],
    ['a pool of 0', { IOMT_STORE: 'postgres', IOMT_POSTGRES_URL: 'postgres://db/x', IOMT_POSTGRES_POOL_SIZE: '0' },
      [{ variable: 'IOMT_POSTGRES_POOL_SIZE', reason: 'must be >= 1' }]],
    ['postgres settings with the SQLite store', { IOMT_POSTGRES_URL: `postgres://u:${SECRET}@db/x` },
      [{ variable: 'IOMT_POSTGRES_URL', reason: 'is only used with IOMT_STORE=postgres' }]],
    ['an unknown store', { IOMT_STORE: 'mongodb' }, [{ variable: 'IOMT_STORE', reason: "must be one of sqlite, postgres, got 'mongodb'" }]],
  ])('stops on %s, naming the variable', (_what, env, expected) => {
    expect(problems(env)).toEqual(expected);
  });
});
