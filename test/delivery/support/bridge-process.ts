import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { signDeviceToken } from '../../../src/ingest';
import { openSqliteStore } from '../../../src/store';
import { BIN, bridgeEnv } from '../../e2e/support/bridge-process';
import { reading } from './delivery-rig';

/** A real `iomt-bridge serve` process (compiled dist/) with delivery on. */
export interface BridgeProcess {
  child: ChildProcess;
  url: string;
  publicUrl: string;
  logLines: string[];
  /** SIGKILL: no shutdown handler runs, in-flight pushes are cut. */
  kill9(): Promise<void>;
  stop(): Promise<number | null>;
}

export function startBridgeProcess(dataDir: string, env: Record<string, string>): Promise<BridgeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: bridgeEnv({ IOMT_DATA_DIR: dataDir, IOMT_PORT: '0', IOMT_LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logLines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
  const exited = once(child, 'exit');
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logLines.push(line);
      const parsed = safeJson(line);
      if (parsed?.msg !== 'listening') return;
      resolve({
        child, url: String(parsed.url), publicUrl: String(parsed.publicUrl), logLines,
        async kill9() {
          child.kill('SIGKILL');
          await exited;
        },
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
          child.kill('SIGTERM');
          const [code] = (await exited) as [number | null];
          return code;
        },
      });
    });
  });
}

function safeJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export interface ProcessDevice {
  id: string;
  privateJwk: JWK;
}

/** Registers devices in the bridge's database file before it starts (the same adapter the CLI uses). */
export async function registerDevices(dataDir: string, ids: string[], patient: string): Promise<ProcessDevice[]> {
  const store = openSqliteStore({ file: join(dataDir, 'iomt-bridge.db') });
  const devices: ProcessDevice[] = [];
  try {
    for (const id of ids) {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      await store.addDevice({ id, publicJwk: (await exportJWK(publicKey)) as Record<string, unknown>, patient });
      devices.push({ id, privateJwk: await exportJWK(privateKey) });
    }
  } finally {
    await store.close();
  }
  return devices;
}

/** POSTs readings `from..from+count-1` (optionally edited: a correction) as NDJSON over real HTTP, signed by the device; resolves after the 2xx. */
export async function postReadings(
  bridge: { url: string; publicUrl: string }, device: ProcessDevice, from: number, count: number,
  edit: (reading: Record<string, unknown>) => Record<string, unknown> = (r) => r,
): Promise<void> {
  const body = Array.from({ length: count }, (_, i) => JSON.stringify(edit(reading(from + i)))).join('\n');
  const token = await signDeviceToken({ privateJwk: device.privateJwk, deviceId: device.id, audience: `${bridge.publicUrl}/ingest`, body });
  const res = await fetch(`${bridge.url}/ingest/pulse-oximeter`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' } });
  if (!res.ok) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
}
