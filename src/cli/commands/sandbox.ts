import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { createSandboxLog, startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox';
import type { CliContext } from '../io';

interface SandboxFlags {
  host: string;
  fhirPort: string;
  authPort: string;
  bridgeUrl: string;
  appRedirectUri: string[];
  backendJwks?: string;
  backendJwksJson?: string;
  backendJwksUri?: string;
  tokenFormat: string;
  tokenAlg: string;
  patient: string;
  autoApprove?: boolean;
  faults?: boolean;
  dataFile?: string;
  logLevel: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * `sandbox`: a SMART authorization server + FHIR endpoint on loopback, to try the launch and the push without a
 * real EHR. Logs JSON lines on stdout (one `"msg":"sandbox listening"` with every URL); a summary for humans on stderr.
 */
export function registerSandboxCommand(program: Command, ctx: CliContext): void {
  program.command('sandbox').description('start a sandbox EHR (SMART authorization server + FHIR R4 endpoint) on loopback')
    .option('--host <host>', 'loopback interface to listen on', '127.0.0.1')
    .option('--fhir-port <port>', 'FHIR endpoint port (0 = any free port)', '9080')
    .option('--auth-port <port>', 'authorization server port (0 = any free port)', '9081')
    .option('--bridge-url <url>', "the bridge's public URL (its /fhir is an allowed token audience)", 'http://localhost:8080')
    .option('--app-redirect-uri <uri>', 'redirect URI of the app clients (repeatable; default <bridge-url>/app/callback)', collect, [])
    .option('--backend-jwks <file>', "public JWKS file of the backend-service client (default: the bridge's /.well-known/jwks.json)")
    .option('--backend-jwks-json <json>', 'the same JWKS given inline')
    .option('--backend-jwks-uri <url>', 'where to fetch the backend client keys')
    .option('--token-format <format>', 'access tokens: jwt or opaque (opaque ones need introspection)', 'jwt')
    .option('--token-alg <alg>', 'access-token signature: RS256 or ES256', 'RS256')
    .option('--patient <id>', 'patient picked by a standalone launch that names none', 'example')
    .option('--auto-approve', 'sign in, pick the patient and consent without pages (tests, quick tries)')
    .option('--faults', 'enable fault injection and the /_control API (tests)')
    .option('--data-file <file>', 'keep the FHIR data in this JSON file across restarts')
    .option('--log-level <level>', 'info, debug, silent…', 'info')
    .action(async (flags: SandboxFlags) => {
      const log = createSandboxLog(flags.logLevel);
      const sandbox = await startSandbox(sandboxOptions(flags), log);
      log.info('sandbox listening', { ...sandbox.urls, clients: sandbox.clients, autoApprove: sandbox.options.autoApprove, tokenFormat: sandbox.options.tokenFormat });
      ctx.io.err(summary(sandbox));
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          log.info('sandbox stopping', { signal });
          sandbox.stop().then(resolve, resolve);
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      });
    });
}

function sandboxOptions(flags: SandboxFlags): SandboxOptions {
  const port = (text: string, name: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be 0..65535`);
    return n;
  };
  if (flags.tokenFormat !== 'jwt' && flags.tokenFormat !== 'opaque') throw new Error('--token-format must be jwt or opaque');
  if (flags.tokenAlg !== 'RS256' && flags.tokenAlg !== 'ES256') throw new Error('--token-alg must be RS256 or ES256');
  const jwksText = flags.backendJwksJson ?? (flags.backendJwks === undefined ? undefined : readFileSync(flags.backendJwks, 'utf8'));
  return {
    host: flags.host,
    fhirPort: port(flags.fhirPort, '--fhir-port'),
    authPort: port(flags.authPort, '--auth-port'),
    bridgeUrl: flags.bridgeUrl,
    appRedirectUris: flags.appRedirectUri,
    backendJwks: jwksText === undefined ? undefined : (JSON.parse(jwksText) as SandboxOptions['backendJwks']),
    backendJwksUri: flags.backendJwksUri,
    tokenFormat: flags.tokenFormat,
    tokenAlg: flags.tokenAlg,
    defaultPatient: flags.patient,
    autoApprove: flags.autoApprove === true,
    faults: flags.faults === true,
    dataFile: flags.dataFile,
  };
}

function summary(sandbox: Sandbox): string {
  const { urls, clients, options } = sandbox;
  return [
    '',
    'iomt-bridge sandbox EHR (loopback only, for trying and testing; not a real EHR)',
    `  FHIR base            ${urls.fhirBaseUrl}   (patients: example, pat-2, pat-3)`,
    `  SMART discovery      ${urls.smartConfigurationUrl}`,
    `  authorization server ${urls.issuer}   (token ${urls.tokenUrl}, introspection ${urls.introspectionUrl})`,
    `  clients              ${clients.app} (public, PKCE), ${clients.confidential} / ${clients.confidentialSecret},`,
    `                       ${clients.backend} (private_key_jwt), ${clients.introspector} / ${clients.introspectorSecret}`,
    `  redirect URIs        ${options.appRedirectUris.join(', ')}`,
    `  EHR launch           open ${urls.ehrUrl} and press "Launch", or`,
    `                       ${urls.launchUrl}?patient=example&app=${encodeURIComponent(`${options.bridgeUrl}/launch`)}`,
    ...(urls.controlUrl ? [`  fault control        ${urls.controlUrl}/faults`] : []),
    '',
  ].join('\n');
}
