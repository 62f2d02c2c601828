import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, withListeningPort } from '../../src/config';

const cwd = '/srv/bridge';
const packageRoot = '/opt/iomt-bridge';
const load = (env: NodeJS.ProcessEnv) => loadConfig(env, { cwd, packageRoot });

/** The problems of the ConfigError thrown by loading `env`. */
function problems(env: NodeJS.ProcessEnv, options = { cwd, packageRoot }): Array<{ variable: string; reason: string }> {
  try {
    loadConfig(env, options);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    expect(e.code).toBe('ERR_CONFIG_INVALID');
    for (const p of e.problems) expect(e.message).toContain(`${p.variable}: ${p.reason}`);
    return [...e.problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('gives every default with no variables set', () => {
    expect(load({ PATH: '/bin', HOME: '/root' })).toEqual({
      dataDir: '/srv/bridge/data',
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'http://localhost:8080',
      publicUrlIsDefault: true,
      fhirBaseUrl: 'http://localhost:8080/fhir',
      ingestAudience: 'http://localhost:8080/ingest',
      devIssuerUrl: 'http://localhost:8080/dev-issuer',
      store: 'sqlite',
      sqliteFile: '/srv/bridge/data/iomt-bridge.db',
      mappingsDir: '/opt/iomt-bridge/mappings',
      profilesDir: '/opt/iomt-bridge/profiles',
      ingestMaxBytes: 1048576,
      ingestMaxItems: 10000,
      ingestMaxDepth: 32,
      deviceTokenMaxLifetimeS: 300,
      clockToleranceS: 30,
      authAudience: 'http://localhost:8080/fhir',
      authAlgorithms: ['RS256', 'RS384', 'ES256', 'ES384'],
      devIssuer: true,
      logLevel: 'info',
      fhirDefaultCount: 50,
      fhirMaxCount: 1000,
      mqtt: { mode: 'embedded', host: '127.0.0.1', port: 1884, topicPrefix: 'iomt', maxInflight: 32, connectTimeoutMs: 10000 },
    });
  });

  it('defaults the package root to the repository (mappings/ and profiles/ beside src/)', () => {
    expect(loadConfig({}, { cwd }).mappingsDir).toBe(join(__dirname, '..', '..', 'mappings'));
  });

  it('is deeply frozen', () => {
    const config = load({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.authAlgorithms)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('loadConfig values', () => {
  it('coerces and derives', () => {
    const config = load({
      IOMT_PORT: '9000',
      IOMT_DATA_DIR: 'var',
      IOMT_PUBLIC_URL: 'https://bridge.example.org/base//',
      IOMT_AUTH_ALGORITHMS: 'ES256, RS256',
      IOMT_LOG_LEVEL: 'debug',
      IOMT_FHIR_MAX_COUNT: '200',
      IOMT_FHIR_DEFAULT_COUNT: '200',
      IOMT_INGEST_MAX_BYTES: '1024',
    });
    expect(config).toMatchObject({
      port: 9000,
      dataDir: '/srv/bridge/var',
      sqliteFile: '/srv/bridge/var/iomt-bridge.db',
      publicUrl: 'https://bridge.example.org/base',
      publicUrlIsDefault: false,
      fhirBaseUrl: 'https://bridge.example.org/base/fhir',
      ingestAudience: 'https://bridge.example.org/base/ingest',
      devIssuerUrl: 'https://bridge.example.org/base/dev-issuer',
      authAudience: 'https://bridge.example.org/base/fhir',
      authAlgorithms: ['ES256', 'RS256'],
      logLevel: 'debug',
      fhirMaxCount: 200,
      ingestMaxBytes: 1024,
    });
  });

  it('treats empty variables as unset', () => {
    expect(load({ IOMT_PORT: '', IOMT_AUTH_ISSUER: '' })).toMatchObject({ port: 8080, devIssuer: true });
  });

  it.each([
    ['IOMT_PORT', '65536', 'must be <= 65535'],
    ['IOMT_PORT', '-1', 'must be >= 0'],
    ['IOMT_PORT', 'http', "must be an integer, got 'http'"],
    ['IOMT_PORT', '0x1F', "must be an integer, got '0x1F'"],
    ['IOMT_PORT', '80.5', "must be an integer, got '80.5'"],
    ['IOMT_HOST', 'a b', 'must match pattern'],
    ['IOMT_STORE', 'mongodb', "must be one of sqlite, postgres, got 'mongodb'"],
    ['IOMT_INGEST_MAX_BYTES', '1023', 'must be >= 1024'],
    ['IOMT_INGEST_MAX_BYTES', String(64 * 1024 * 1024 + 1), 'must be <= 67108864'],
    ['IOMT_INGEST_MAX_ITEMS', '0', 'must be >= 1'],
    ['IOMT_INGEST_MAX_DEPTH', '10000', 'must be <= 256'],
    ['IOMT_DEVICE_TOKEN_MAX_LIFETIME_S', '301', 'must be <= 300'],
    ['IOMT_DEVICE_TOKEN_MAX_LIFETIME_S', '0', 'must be >= 1'],
    ['IOMT_CLOCK_TOLERANCE_S', '301', 'must be <= 300'],
    ['IOMT_AUTH_ALGORITHMS', 'RS256,HS256', "item 2 must be one of RS256, RS384, ES256, ES384, got 'HS256'"],
    ['IOMT_AUTH_ALGORITHMS', 'none', "item 1 must be one of RS256, RS384, ES256, ES384, got 'none'"],
    ['IOMT_AUTH_ALGORITHMS', 'RS256,RS256', 'must NOT have duplicate items'],
    ['IOMT_DEV_ISSUER', 'yes', "must be one of auto, on, off, got 'yes'"],
    ['IOMT_LOG_LEVEL', 'verbose', 'must be one of fatal, error, warn, info, debug, trace, silent'],
    ['IOMT_FHIR_MAX_COUNT', '1000000000', 'must be <= 10000'],
    ['IOMT_FHIR_DEFAULT_COUNT', '0', 'must be >= 1'],
    ['IOMT_FHIR_DEFAULT_COUNT', '2000', 'must be <= IOMT_FHIR_MAX_COUNT (1000)'],
    ['IOMT_PUBLIC_URL', 'ftp://host', "must be an http or https URL, got 'ftp://host'"],
    ['IOMT_PUBLIC_URL', 'not a url', 'must be an http or https URL'],
    ['IOMT_PUBLIC_URL', 'https://host/?a=1', 'must not have a query or fragment'],
    ['IOMT_PUBLIC_URL', 'https://host/#top', 'must not have a query or fragment'],
    ['IOMT_PUBLIC_URL', 'https://u:p@host', 'must not contain credentials'],
    ['IOMT_PORTT', '80', 'unknown variable (did you mean IOMT_PORT?)'],
    ['IOMT_SOMETHING', 'x', 'unknown variable'],
  ])('%s=%s → "%s"', (variable, value, reason) => {
    const found = problems({ [variable]: value });
    expect(found).toHaveLength(1);
    expect(found[0]?.variable).toBe(variable);
    expect(found[0]?.reason).toContain(reason);
  });

  it('reports every problem at once', () => {
    expect(problems({ IOMT_PORT: '70000', IOMT_LOG_LEVEL: 'loud' }).map((p) => p.variable)).toEqual([
      'IOMT_PORT',
      'IOMT_LOG_LEVEL',
    ]);
  });

  it('accepts port 0', () => {
    expect(load({ IOMT_PORT: '0' }).port).toBe(0);
  });
});

describe('token issuer rules', () => {
  const issuer = { IOMT_AUTH_ISSUER: 'https://ehr.example.org/auth' };

  it('turns the dev issuer off when an issuer is set (auto)', () => {
    const config = load({ ...issuer, IOMT_AUTH_JWKS_URL: 'https://ehr.example.org/jwks' });
    expect(config).toMatchObject({ devIssuer: false, authIssuer: issuer.IOMT_AUTH_ISSUER, authJwksUrl: 'https://ehr.example.org/jwks' });
    expect(config.authJwksFile).toBeUndefined();
  });

  it('keeps the dev issuer when asked, next to a real issuer', () => {
    expect(load({ ...issuer, IOMT_AUTH_JWKS_FILE: 'keys/jwks.json', IOMT_DEV_ISSUER: 'on' })).toMatchObject({
      devIssuer: true,
      authJwksFile: '/srv/bridge/keys/jwks.json',
    });
  });

  it('accepts http JWKS on loopback only', () => {
    expect(load({ ...issuer, IOMT_AUTH_JWKS_URL: 'http://127.0.0.1:9999/jwks' }).authJwksUrl).toBe('http://127.0.0.1:9999/jwks');
    expect(problems({ ...issuer, IOMT_AUTH_JWKS_URL: 'http://ehr.example.org/jwks' })).toEqual([
      { variable: 'IOMT_AUTH_JWKS_URL', reason: 'must use https (http is allowed on loopback only)' },
    ]);
  });

  it.each([
    [{ ...issuer }, 'IOMT_AUTH_JWKS_URL', 'one of IOMT_AUTH_JWKS_URL and IOMT_AUTH_JWKS_FILE is required'],
    [{ ...issuer, IOMT_AUTH_JWKS_URL: 'https://x/jwks', IOMT_AUTH_JWKS_FILE: '/k.json' }, 'IOMT_AUTH_JWKS_FILE', 'give only one'],
    [{ IOMT_DEV_ISSUER: 'off' }, 'IOMT_AUTH_ISSUER', 'is required when IOMT_DEV_ISSUER=off'],
    [{ IOMT_AUTH_JWKS_URL: 'https://x/jwks' }, 'IOMT_AUTH_JWKS_URL', 'only used with IOMT_AUTH_ISSUER'],
    [{ IOMT_AUTH_ISSUER: 'urn:x', IOMT_AUTH_JWKS_FILE: '/k.json' }, 'IOMT_AUTH_ISSUER', 'must be an http or https URL'],
  ])('%j → %s: %s', (env, variable, reason) => {
    const found = problems(env);
    expect(found).toHaveLength(1);
    expect(found[0]).toEqual({ variable, reason: expect.stringContaining(reason) });
  });

  it('keeps an explicit audience', () => {
    expect(load({ IOMT_AUTH_AUDIENCE: 'urn:bridge' }).authAudience).toBe('urn:bridge');
  });
});

describe('config file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'iomt-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const writeJson = (content: unknown, name = 'config.json'): string => {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    return name;
  };

  it('reads typed and string values, paths relative to the file; the environment wins', () => {
    const name = writeJson({ IOMT_PORT: 9001, IOMT_LOG_LEVEL: 'warn', IOMT_DATA_DIR: 'state', IOMT_AUTH_ALGORITHMS: ['ES256'], IOMT_HOST: null });
    const config = loadConfig({ IOMT_CONFIG_FILE: name, IOMT_LOG_LEVEL: 'error' }, { cwd: dir, packageRoot });
    expect(config).toMatchObject({
      configFile: join(dir, name),
      port: 9001,
      logLevel: 'error',
      dataDir: join(dir, 'state'),
      authAlgorithms: ['ES256'],
      host: '127.0.0.1',
    });
  });

  it('validates file values like environment values', () => {
    const name = writeJson({ IOMT_PORT: 70000 });
    expect(problems({ IOMT_CONFIG_FILE: name }, { cwd: dir, packageRoot })).toEqual([
      { variable: 'IOMT_PORT', reason: 'must be <= 65535' },
    ]);
  });

  it.each([
    [{ IOMT_PROT: 1 }, 'IOMT_PROT', 'did you mean IOMT_PORT?'],
    [{ IOMT_CONFIG_FILE: 'other.json' }, 'IOMT_CONFIG_FILE', 'cannot be set inside'],
    [[1, 2], 'IOMT_CONFIG_FILE', 'must hold a JSON object'],
    ['{ "IOMT_PORT": 1, }', 'IOMT_CONFIG_FILE', 'cannot read'],
  ])('refuses %j naming %s', (content, variable, reason) => {
    const name = writeJson(content);
    const found = problems({ IOMT_CONFIG_FILE: name }, { cwd: dir, packageRoot });
    expect(found[0]).toEqual({ variable, reason: expect.stringContaining(reason) });
  });

  it('names IOMT_CONFIG_FILE when the file is missing', () => {
    expect(problems({ IOMT_CONFIG_FILE: 'missing.json' }, { cwd: dir, packageRoot })[0]?.variable).toBe('IOMT_CONFIG_FILE');
  });
});

describe('withListeningPort', () => {
  it('re-derives default URLs and the default audience from the bound port', () => {
    const config = withListeningPort(load({ IOMT_PORT: '0' }), 41234);
    expect(config).toMatchObject({
      port: 41234,
      publicUrl: 'http://localhost:41234',
      fhirBaseUrl: 'http://localhost:41234/fhir',
      ingestAudience: 'http://localhost:41234/ingest',
      devIssuerUrl: 'http://localhost:41234/dev-issuer',
      authAudience: 'http://localhost:41234/fhir',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('keeps an explicit public URL and audience', () => {
    const config = withListeningPort(load({ IOMT_PORT: '0', IOMT_PUBLIC_URL: 'https://b.example', IOMT_AUTH_AUDIENCE: 'urn:a' }), 5);
    expect(config).toMatchObject({ port: 5, publicUrl: 'https://b.example', authAudience: 'urn:a' });
    const implicit = withListeningPort(load({ IOMT_PORT: '0', IOMT_AUTH_AUDIENCE: 'urn:a' }), 5);
    expect(implicit).toMatchObject({ fhirBaseUrl: 'http://localhost:5/fhir', authAudience: 'urn:a' });
  });
});
