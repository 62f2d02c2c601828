import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The real `iomt-bridge` command, running the compiled dist/ (run `npm run build` first). */
const BIN = join(__dirname, '..', '..', '..', 'bin', 'iomt-bridge.js');

/** The URLs a sandbox logs in its `"msg":"sandbox listening"` line (see src/sandbox/start-sandbox.ts SandboxUrls). */
export interface SandboxProcessUrls {
  fhirBaseUrl: string;
  smartConfigurationUrl: string;
  bridgeFhirBaseUrl: string;
  issuer: string;
  authorizeUrl: string;
  tokenUrl: string;
  introspectionUrl: string;
  revocationUrl: string;
  jwksUrl: string;
  userinfoUrl: string;
  ehrUrl: string;
  launchUrl: string;
  /** Only with `--faults`. */
  controlUrl?: string;
}

/** A running `iomt-bridge sandbox` child process. */
export interface SandboxProcess extends SandboxProcessUrls {
  clients: {
    app: string; confidential: string; confidentialSecret: string; backend: string; introspector: string; introspectorSecret: string;
  };
  child: ChildProcess;
  /** Every stdout line so far (pino JSON lines, plus oidc-provider notices). */
  logLines: string[];
  /** SIGTERM, resolves to the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `iomt-bridge sandbox …args` (free ports unless `args` name them) and resolves when it logs
 * `"msg":"sandbox listening"` — event-driven, no sleeps. Rejects if the process exits first (with its stderr).
 * @example const sb = await startSandboxProcess(['--auto-approve', '--faults']); … await sb.stop();
 */
export function startSandboxProcess(args: string[] = []): Promise<SandboxProcess> {
  const ports = [...(args.includes('--fhir-port') ? [] : ['--fhir-port', '0']), ...(args.includes('--auth-port') ? [] : ['--auth-port', '0'])];
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('IOMT_')) env[name] = value;
  const child = spawn(process.execPath, [BIN, 'sandbox', ...ports, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logLines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const closed = once(child, 'close');
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const [code] = (await closed) as [number | null];
    return code;
  };
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sandbox exited (${code}) before listening:\n${stderr}`)));
    child.once('error', reject);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logLines.push(line);
      let parsed: Partial<SandboxProcess> & { msg?: string };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        return;
      }
      if (parsed.msg !== 'sandbox listening') return;
      resolve({ ...(parsed as SandboxProcessUrls), clients: parsed.clients!, child, logLines, stop });
    });
  });
}
