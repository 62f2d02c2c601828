import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleEhrLaunch } from './ehr-launch-routes';
import { FaultQueue } from './fault-queue';
import { createFhirHandler } from './fhir-server';
import { sandboxCapabilityStatement } from './fhir-routes';
import { jsonReply, sendReply } from './http-io';
import { handleInteraction } from './interaction-routes';
import { LaunchContexts } from './launch-contexts';
import { loadOidcProvider, type OidcProvider } from './load-oidc-provider';
import { audiencesOf, providerConfiguration } from './provider-configuration';
import { SANDBOX_CLIENTS } from './sandbox-clients';
import { generateSandboxKeys } from './sandbox-keys';
import { createSandboxLog, type SandboxLog } from './sandbox-log';
import { resolveSandboxOptions, type ResolvedSandboxOptions, type SandboxOptions } from './sandbox-options';
import { SandboxStore } from './sandbox-store';
import { createSandboxTokenVerifier, publicJwks } from './sandbox-token-verifier';
import { smartConfiguration, type AuthorizationUrls } from './smart-configuration';
import { promptConsentForOfflineAccess, smartTokenResponse } from './smart-glue';

/** Where everything of a running sandbox is. */
export interface SandboxUrls extends AuthorizationUrls {
  fhirBaseUrl: string;
  smartConfigurationUrl: string;
  /** The bridge FHIR base tokens may also be issued for. */
  bridgeFhirBaseUrl: string;
  /** `GET` with `?app=<launch url>&patient=<id>` to start an EHR launch; the page itself lists patients. */
  ehrUrl: string;
  launchUrl: string;
  /** Present when faults are on. */
  controlUrl?: string;
}

/** A running sandbox EHR. */
export interface Sandbox {
  urls: SandboxUrls;
  clients: typeof SANDBOX_CLIENTS;
  options: ResolvedSandboxOptions;
  store: SandboxStore;
  launches: LaunchContexts;
  faults?: FaultQueue;
  stop(): Promise<void>;
}

/**
 * Starts the sandbox EHR on loopback: a SMART authorization server (oidc-provider) and a FHIR R4 endpoint.
 * Plain Node only (oidc-provider is ESM, loaded with a native import); under Jest start it as a process.
 * @example const sandbox = await startSandbox({ fhirPort: 0, authPort: 0, autoApprove: true }); … await sandbox.stop();
 */
export async function startSandbox(input: SandboxOptions = {}, log: SandboxLog = createSandboxLog(input.logLevel)): Promise<Sandbox> {
  const options = resolveSandboxOptions(input);
  const oidc = await loadOidcProvider();
  const fhirHttp = createServer();
  const authHttp = createServer();
  const fhirOrigin = await listen(fhirHttp, options.host, options.fhirPort);
  const issuer = await listen(authHttp, options.host, options.authPort);
  const urls = sandboxUrls(options, fhirOrigin, issuer);
  const store = new SandboxStore({ dataFile: options.dataFile });
  const launches = new LaunchContexts();
  const faults = options.faults ? new FaultQueue() : undefined;
  const { keys, cookieKeys } = generateSandboxKeys();
  const provider = new oidc.default(issuer, providerConfiguration({
    options, fhirBaseUrl: urls.fhirBaseUrl, keys, cookieKeys, launches, store, errors: oidc.errors,
  }));
  provider.use(promptConsentForOfflineAccess('/auth'));
  provider.use(smartTokenResponse('/token', launches));
  provider.on('server_error', (_ctx, error) => log.error('sandbox authorization server error', { err: String(error) }));
  fhirHttp.on('request', createFhirHandler({
    store, faults, basePath: '/fhir', baseUrl: urls.fhirBaseUrl, log,
    smartConfiguration: () => smartConfiguration(urls),
    capabilityStatement: () => sandboxCapabilityStatement(urls.fhirBaseUrl, urls.authorizeUrl, urls.tokenUrl),
    verifyAccessToken: createSandboxTokenVerifier({ provider, issuer, audience: urls.fhirBaseUrl, publicKeys: publicJwks(keys) }),
  }));
  authHttp.on('request', authorizationHandler({ provider, options, urls, store, launches }));
  return {
    urls, clients: SANDBOX_CLIENTS, options, store, launches, faults,
    stop: async () => { await Promise.all([close(fhirHttp), close(authHttp)]); },
  };
}

interface AuthHandlerDeps {
  provider: OidcProvider;
  options: ResolvedSandboxOptions;
  urls: SandboxUrls;
  store: SandboxStore;
  launches: LaunchContexts;
}

/** The authorization server's own routes first (interactions, EHR launch, discovery), then oidc-provider. */
function authorizationHandler(deps: AuthHandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const oidcCallback = deps.provider.callback();
  const interactionDeps = {
    provider: deps.provider, launches: deps.launches, store: deps.store, fhirBaseUrl: deps.urls.fhirBaseUrl,
    defaultPatient: deps.options.defaultPatient, autoApprove: deps.options.autoApprove,
  };
  const ehrDeps = {
    launches: deps.launches, store: deps.store, audiences: audiencesOf({ fhirBaseUrl: deps.urls.fhirBaseUrl, options: deps.options }),
    defaultAppLaunchUrl: `${deps.options.bridgeUrl}/launch`,
  };
  return (req, res) => {
    const url = new URL(req.url ?? '/', deps.urls.issuer);
    const handled = (async () => {
      if (url.pathname.startsWith('/interaction/')) return handleInteraction(interactionDeps, req, res).then(() => true);
      if (url.pathname === '/.well-known/smart-configuration' && req.method === 'GET') {
        sendReply(res, jsonReply(200, smartConfiguration(deps.urls), { 'access-control-allow-origin': '*' }));
        return true;
      }
      return url.pathname.startsWith('/ehr') ? handleEhrLaunch(ehrDeps, req, res, url) : false;
    })();
    handled.then((done) => { if (!done) oidcCallback(req, res); }, () => {
      if (!res.headersSent) sendReply(res, jsonReply(500, { error: 'server_error' }));
    });
  };
}

function sandboxUrls(options: ResolvedSandboxOptions, fhirOrigin: string, issuer: string): SandboxUrls {
  const fhirBaseUrl = `${fhirOrigin}/fhir`;
  return {
    fhirBaseUrl,
    smartConfigurationUrl: `${fhirBaseUrl}/.well-known/smart-configuration`,
    bridgeFhirBaseUrl: options.bridgeFhirBaseUrl,
    issuer,
    authorizeUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    introspectionUrl: `${issuer}/introspect`,
    revocationUrl: `${issuer}/revoke`,
    jwksUrl: `${issuer}/jwks`,
    userinfoUrl: `${issuer}/userinfo`,
    ehrUrl: `${issuer}/ehr`,
    launchUrl: `${issuer}/ehr/launch`,
    ...(options.faults ? { controlUrl: `${fhirOrigin}/_control` } : {}),
  };
}

async function listen(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
