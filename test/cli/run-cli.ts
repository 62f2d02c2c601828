import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';

/** What one in-process CLI run printed and returned. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** A temporary data folder per test file, removed by `cleanup`. */
export interface CliSandbox {
  dataDir: string;
  /** Runs `iomt-bridge …argv` in-process with captured streams; env is IOMT_DATA_DIR + `env` (nothing from the shell). */
  run(argv: string[], options?: { env?: Record<string, string>; stdin?: string }): Promise<CliRun>;
  cleanup(): void;
}

export function cliSandbox(): CliSandbox {
  const dataDir = mkdtempSync(join(tmpdir(), 'iomt-cli-'));
  return {
    dataDir,
    async run(argv, options = {}) {
      let out = '';
      let err = '';
      const io: CliIo = {
        out: (text) => { out += text.endsWith('\n') ? text : `${text}\n`; },
        err: (text) => { err += text.endsWith('\n') ? text : `${text}\n`; },
        readStdin: () => {
          if (options.stdin === undefined) throw new Error('test: stdin read but none given');
          return options.stdin;
        },
      };
      const code = await main(argv, io, { IOMT_DATA_DIR: dataDir, IOMT_LOG_LEVEL: 'silent', ...options.env });
      return { code, out, err };
    },
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}
