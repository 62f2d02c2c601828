import type { Command } from 'commander';
import { createLogger, startBridge } from '../../bridge';
import type { Config } from '../../config';

/** `serve`: start the bridge and stop it cleanly on SIGINT / SIGTERM. */
export function registerServeCommand(program: Command, config: () => Readonly<Config>): void {
  program.command('serve').description('start the bridge (HTTP ingest + FHIR API) on the configured defaults')
    .action(async () => {
      const cfg = config();
      const logger = createLogger(cfg);
      const bridge = await startBridge(cfg, logger);
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          logger.info({ signal }, 'stopping');
          bridge.stop().then(resolve, (error: unknown) => {
            logger.error({ err: error }, 'stop failed');
            resolve();
          });
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      });
    });
}
