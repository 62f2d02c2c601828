import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

/** The real `iomt-bridge` command, running the compiled dist/ (`npm test` builds it first). */
export const BIN = join(__dirname, '..', '..', '..', 'bin', 'iomt-bridge.js');

const run = promisify(execFile);

/**
 * The parent's environment without any `IOMT_*` variable (the config loader refuses unknown ones, and a
 * developer's own settings must not leak into the test), plus `vars`. The embedded MQTT broker gets any free
 * port (IOMT_MQTT_PORT=0), so bridges started side by side by parallel test files never fight over one.
 */
export function bridgeEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('IOMT_')) env[name] = value;
  return { ...env, IOMT_MQTT_PORT: '0', ...vars };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/iomt-bridge.js …args` to completion; a non-zero exit is a result, not a throw. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const running = new Set<ChildProcess>();

/** Kills (SIGKILL) every `serve` process still running: for afterAll, when a test failed before the orderly stop. */
export function killLeftovers(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** A `serve` process that has logged its listening line. */
export interface ServedBridge {
  child: ChildProcess;
  /** Where the socket really is (`http://127.0.0.1:PORT`): requests go here. */
  url: string;
  /** The public base URL the bridge derived (`http://localhost:PORT`): token audiences name it. */
  publicUrl: string;
  port: number;
  /** The MQTT broker the bridge runs or uses (`mqtt://127.0.0.1:PORT`), unless IOMT_MQTT=off. */
  mqttUrl?: string;
  /** Every stdout line so far (pino JSON lines). */
  logLines: string[];
  /** Sends SIGTERM and resolves to the exit code. */
  stop(): Promise<number | null>;
}

interface ListeningLine {
  msg?: string;
  url?: string;
  publicUrl?: string;
  mqtt?: string;
}

/**
 * Starts `iomt-bridge serve` on a free port (IOMT_PORT=0) over `dataDir` (plus `env`), and resolves when the process logs
 * `"msg":"listening"` — event-driven, no polling. Rejects if the process exits first (with its stderr).
 */
export function startServe(dataDir: string, env: Record<string, string> = {}): Promise<ServedBridge> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: bridgeEnv({ IOMT_DATA_DIR: dataDir, IOMT_PORT: '0', IOMT_LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logLines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  running.add(child);
  // 'close', not 'exit': it comes after stdout is drained, so logLines then holds every line the process wrote.
  const closed = once(child, 'close');
  void closed.finally(() => running.delete(child));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const [code] = (await closed) as [number | null];
    return code;
  };
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${stderr}`)));
    child.once('error', reject);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logLines.push(line);
      let parsed: ListeningLine;
      try {
        parsed = JSON.parse(line) as ListeningLine;
      } catch {
        return; // not a log line; kept in logLines for the assertions on what is logged
      }
      if (parsed.msg !== 'listening' || !parsed.url || !parsed.publicUrl) return;
      resolve({ child, url: parsed.url, publicUrl: parsed.publicUrl, port: Number(new URL(parsed.url).port), mqttUrl: parsed.mqtt, logLines, stop });
    });
  });
}
