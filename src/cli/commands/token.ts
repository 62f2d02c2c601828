import type { Command } from 'commander';
import type { Config } from '../../config';
import { issueDevToken, loadOrCreateDevIssuerKey } from '../../smart';
import type { CliContext } from '../io';

/** `token`: a short-lived access token from the embedded development issuer, for trying the API locally. */
export function registerTokenCommand(program: Command, ctx: CliContext, config: () => Readonly<Config>): void {
  program.command('token').description('print an access token from the embedded development issuer')
    .requiredOption('--scope <scopes>', 'SMART scopes, e.g. "system/*.rs" or "system/Observation.read"')
    .option('--patient <id>', 'put this patient in the launch context (patient/ scopes need it)')
    .option('--client <id>', 'client id the token is issued to', 'iomt-bridge-cli')
    .option('--lifetime <seconds>', 'token lifetime in seconds (max 3600)', '900')
    .action(async (options: { scope: string; patient?: string; client: string; lifetime: string }) => {
      const cfg = config();
      if (!cfg.devIssuer) throw new Error('the development issuer is off (a real issuer is configured): get tokens from it');
      const lifetimeSeconds = Number(options.lifetime);
      if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1 || lifetimeSeconds > 3600) throw new Error('--lifetime must be 1..3600');
      const patient = options.patient?.replace(/^Patient\//, '');
      const key = await loadOrCreateDevIssuerKey(cfg.dataDir);
      ctx.io.out(await issueDevToken({
        key, issuer: cfg.devIssuerUrl, audience: cfg.authAudience, scope: options.scope, patient, clientId: options.client, lifetimeSeconds,
      }));
    });
}
