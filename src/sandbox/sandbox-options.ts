/** Options of {@link startSandbox}; every one has a default that makes `npm run sandbox` work with `serve`. */
export interface SandboxOptions {
  /** Interface to listen on; loopback only (default `127.0.0.1`). */
  host?: string;
  /** FHIR endpoint port (default 9080; 0 picks a free one). */
  fhirPort?: number;
  /** Authorization server port (default 9081; 0 picks a free one). */
  authPort?: number;
  /** The bridge's public URL (default `http://localhost:8080`); `<bridgeUrl>/fhir` is an allowed token audience. */
  bridgeUrl?: string;
  /** Redirect URIs registered for the app clients (default `<bridgeUrl>/app/callback`). */
  appRedirectUris?: string[];
  /** Public JWKS of the backend-service client (default: jwks_uri `<bridgeUrl>/.well-known/jwks.json`). */
  backendJwks?: { keys: Array<Record<string, unknown>> };
  /** Fetch the backend client's keys from here instead. */
  backendJwksUri?: string;
  /** `jwt` (default) or `opaque` access tokens (opaque ones are checked by introspection). */
  tokenFormat?: 'jwt' | 'opaque';
  /** Access-token signature (default RS256). */
  tokenAlg?: 'RS256' | 'ES256';
  /** Patient picked when a standalone launch names none (default `example`). */
  defaultPatient?: string;
  /** Sign in, pick the patient and consent without pages (tests, quick tries). */
  autoApprove?: boolean;
  /** Enables fault injection and the `/_control` API (default off). */
  faults?: boolean;
  /** Keep the FHIR data in this JSON file across restarts. */
  dataFile?: string;
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtlSeconds?: number;
  /** `info` (default), `silent`, … */
  logLevel?: string;
}

/** Options with defaults applied and URLs derived. */
export interface ResolvedSandboxOptions extends Required<Omit<SandboxOptions, 'backendJwks' | 'backendJwksUri' | 'dataFile'>> {
  backendJwks?: { keys: Array<Record<string, unknown>> };
  backendJwksUri?: string;
  dataFile?: string;
  bridgeFhirBaseUrl: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** Applies defaults; throws on a non-loopback host or a bad value (a configuration mistake stops start-up). */
export function resolveSandboxOptions(options: SandboxOptions): ResolvedSandboxOptions {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host)) throw new Error(`the sandbox listens on loopback only, not '${host}'`);
  const bridgeUrl = trimSlash(options.bridgeUrl ?? 'http://localhost:8080');
  for (const [name, port] of [['fhirPort', options.fhirPort], ['authPort', options.authPort]] as const) {
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new Error(`${name} must be 0..65535`);
  }
  if (options.backendJwks !== undefined && options.backendJwksUri !== undefined) throw new Error('give backendJwks or backendJwksUri, not both');
  return {
    host,
    fhirPort: options.fhirPort ?? 9080,
    authPort: options.authPort ?? 9081,
    bridgeUrl,
    bridgeFhirBaseUrl: `${bridgeUrl}/fhir`,
    appRedirectUris: options.appRedirectUris?.length ? options.appRedirectUris : [`${bridgeUrl}/app/callback`],
    backendJwks: options.backendJwks,
    backendJwksUri: options.backendJwks === undefined ? options.backendJwksUri ?? `${bridgeUrl}/.well-known/jwks.json` : undefined,
    tokenFormat: options.tokenFormat ?? 'jwt',
    tokenAlg: options.tokenAlg ?? 'RS256',
    defaultPatient: options.defaultPatient ?? 'example',
    autoApprove: options.autoApprove ?? false,
    faults: options.faults ?? false,
    dataFile: options.dataFile,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
    logLevel: options.logLevel ?? 'info',
  };
}

const trimSlash = (url: string): string => url.replace(/\/+$/, '');
