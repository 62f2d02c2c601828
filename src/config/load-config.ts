import { resolve } from 'node:path';
import type { Config } from './config';
import { ConfigError, type ConfigProblem } from './config-error';
import { readConfigSources } from './read-config-sources';
import { defaultPublicUrl, derivedUrls, resolveConfig } from './resolve-config';
import { validateVariables } from './validate-variables';

/** Where relative defaults are anchored; both default to the real process/package. */
export interface LoadConfigOptions {
  /** Working folder for relative paths and the default data folder (default `process.cwd()`). */
  cwd?: string;
  /** Folder holding `mappings/` and `profiles/` (default: this package's root). */
  packageRoot?: string;
}

/**
 * Reads the `IOMT_*` environment variables (and the JSON file named by IOMT_CONFIG_FILE, which the
 * environment overrides), validates them, applies defaults and returns a deep-frozen {@link Config}.
 * Throws a {@link ConfigError} listing every problem as `VARIABLE: reason`. Call once, in the composition root,
 * and pass the result down (there is no global getter).
 *
 * @example
 * const config = loadConfig(process.env);
 * // config.fhirBaseUrl === 'http://localhost:8080/fhir' with no variables set
 */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): Readonly<Config> {
  const cwd = resolve(options.cwd ?? process.cwd());
  // src/config and dist/config are both two levels below the package root.
  const packageRoot = resolve(options.packageRoot ?? resolve(__dirname, '..', '..'));
  const problems: ConfigProblem[] = [];
  const { values: raw, configFile } = readConfigSources(env, cwd, problems);
  const values = validateVariables(raw, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const config = resolveConfig(values, { cwd, packageRoot }, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  if (configFile !== undefined) config.configFile = configFile;
  return deepFreeze(config);
}

/**
 * With `IOMT_PORT=0` the port is known only once the server listens. Returns a new frozen config whose
 * derived URLs (and default audience) use that port — unless IOMT_PUBLIC_URL was given, which is kept as is.
 */
export function withListeningPort(config: Readonly<Config>, port: number): Readonly<Config> {
  if (!config.publicUrlIsDefault) return deepFreeze({ ...config, port });
  const urls = derivedUrls(defaultPublicUrl(config.tls !== undefined, port));
  const authAudience = config.authAudience === config.fhirBaseUrl ? urls.fhirBaseUrl : config.authAudience;
  return deepFreeze({ ...config, ...urls, port, authAudience });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
