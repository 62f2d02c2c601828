import { Command, CommanderError } from 'commander';
import { compileEngines, openStore, VERSION } from '../bridge';
import { loadConfig, type Config } from '../config';
import { loadMappingPath } from '../mapping/load';
import { registerMappingsCommands } from './commands/mappings-test';
import { registerAuditDisclosuresCommand } from './commands/audit-disclosures';
import { registerAuditVerifyCommand } from './commands/audit-verify';
import { registerDeviceCommands } from './commands/devices';
import { registerOutboxCommands } from './commands/outbox';
import { registerMapCommand, registerValidateCommand } from './commands/dry-run';
import { registerSandboxCommand } from './commands/sandbox';
import { registerSendCommand } from './commands/send';
import { registerServeCommand } from './commands/serve';
import { registerStoreCommands } from './commands/store-copy';
import { registerTokenCommand } from './commands/token';
import { type CliContext, type CliIo, processIo, reportError } from './io';
import { resolve } from 'node:path';

function once<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: make() }).v;
}

/** Builds the `iomt-bridge` command tree. Config is loaded lazily, so `--help` works with any environment. */
export function buildProgram(ctx: CliContext, env: NodeJS.ProcessEnv): Command {
  const config = once((): Readonly<Config> => loadConfig(env));
  const engines = once(() => compileEngines(config()));
  const program = new Command('iomt-bridge')
    .description('SMART-on-FHIR middleware for medical devices: readings in, FHIR R4 out')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) });
  registerServeCommand(program, config);
  registerDeviceCommands(program, ctx.io, async () => openStore(config()));
  registerOutboxCommands(program, ctx.io, async () => openStore(config()));
  registerAuditDisclosuresCommand(program, ctx.io, async () => openStore(config()));
  registerAuditVerifyCommand(program, ctx, async () => openStore(config()));
  registerStoreCommands(program, ctx.io, () => config().sqliteFile);
  registerTokenCommand(program, ctx, config);
  registerSandboxCommand(program, ctx);
  registerSendCommand(program, ctx, () => config().publicUrl, () => config().mqtt?.topicPrefix ?? 'iomt');
  const dryRun = {
    mappings: () => engines().mappings,
    validator: () => engines().validator,
    fhirBaseUrl: () => config().fhirBaseUrl,
    // A mapping file, a family folder, or a MedTech folder (devicecontent.json + fhirmapping.json).
    mappingFile: (file: string) => loadMappingPath(resolve(file)),
    mappingsDir: () => config().mappingsDir,
  };
  registerMapCommand(program, ctx, dryRun);
  registerValidateCommand(program, ctx, dryRun);
  registerMappingsCommands(program, ctx, dryRun);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[], io: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const ctx: CliContext = { io, exitCode: 0 };
  try {
    await buildProgram(ctx, env).parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    return reportError(io, error);
  }
}
