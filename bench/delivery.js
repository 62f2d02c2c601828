'use strict';
/* global fetch, performance, setTimeout */
/**
 * bench:delivery — readings pushed to the sandbox EHR (real processes: `iomt-bridge serve` with delivery on,
 * `iomt-bridge sandbox` with its SMART server and FHIR endpoint).
 *   1. latency: readings sent at a sustained rate (default 1,000/s for 15 s, 20 devices); reading → EHR latency is
 *      the EHR's `meta.lastUpdated` of each Observation minus the moment its ingest request was sent.
 *   2. throughput: a backlog (default 5,000 readings = 10,000 Observations) committed with delivery off, then
 *      drained with transaction Bundles of 1 entry and of 50 entries, same run, same EHR.
 * Prints a table, then one JSON line of figures.
 * Usage: npm run bench:delivery [-- --rate 1000 --seconds 15 --backlog 5000 --devices 20 --only sandbox|indexed]
 */
const { copyFileSync, mkdirSync, mkdtempSync, rmSync } = require('node:fs');
const { spawn } = require('node:child_process');
const { tmpdir, cpus } = require('node:os');
const { join } = require('node:path');
const { exportJWK, generateKeyPair } = require('jose');
const { signDeviceToken } = require('../dist/ingest');
const { loadOrCreateClientKey } = require('../dist/delivery');
const { openSqliteStore } = require('../dist/store');
const { startProcess, stopProcess } = require('./lib');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RATE = arg('rate', 1000);
const SECONDS = arg('seconds', 15);
const BACKLOG = arg('backlog', 5000);
const DEVICES = arg('devices', 20);
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const PER_REQUEST = 10; // readings per ingest request: RATE/10 requests a second
const CLI = join(__dirname, '..', 'bin', 'iomt-bridge.js');

function reading(i) {
  return {
    type: 'pulse-oximeter', messageId: `bench-${i}`, timestamp: new Date(Date.UTC(2024, 0, 1) + i * 10).toISOString(),
    device: { serial: 'PO-BENCH', manufacturer: 'Acme Medical', model: 'OxiClip 300', firmware: '2.4.1' }, spo2: 90 + (i % 10), pulseRate: 60 + (i % 40),
  };
}

/** `iomt-bridge sandbox` on free ports with its control API; resolves with the URLs it logs. */
function startSandbox(jwks) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'sandbox', '--fhir-port', '0', '--auth-port', '0', '--faults', '--backend-jwks-json', JSON.stringify(jwks)], {
      env: withoutIomt(process.env), stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      for (const line of buffered.split('\n').slice(0, -1)) {
        try {
          const record = JSON.parse(line);
          if (record.msg === 'sandbox listening') return resolve({ child, ...record });
        } catch { /* not JSON */ }
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
}

function withoutIomt(env) {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('IOMT_')));
}

async function setupDevices(dataDir) {
  const store = openSqliteStore({ file: join(dataDir, 'iomt-bridge.db') });
  const devices = [];
  for (let d = 0; d < DEVICES; d += 1) {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    await store.addDevice({ id: `bench-${d}`, publicJwk: await exportJWK(publicKey), patient: 'Patient/example' });
    devices.push({ id: `bench-${d}`, privateJwk: await exportJWK(privateKey) });
  }
  await store.close();
  return devices;
}

/** Pre-signed NDJSON requests of PER_REQUEST readings, devices round-robin; reading numbers from `first`. */
async function signedRequests(devices, first, count, audience) {
  const out = [];
  for (let r = 0; r < count / PER_REQUEST; r += 1) {
    const device = devices[r % devices.length];
    const from = first + r * PER_REQUEST;
    const body = Array.from({ length: PER_REQUEST }, (_, i) => JSON.stringify(reading(from + i))).join('\n');
    const token = await signDeviceToken({ privateJwk: device.privateJwk, deviceId: device.id, audience, body, lifetimeSeconds: 300 });
    out.push({ from, body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' } });
  }
  return out;
}

/** Sends requests on a fixed schedule (RATE readings/s), not waiting for answers; records each send time. */
async function sustained(url, requests) {
  const sentAt = new Map();
  const intervalMs = (1000 * PER_REQUEST) / RATE;
  const started = performance.now();
  const pending = [];
  let failed = 0;
  for (let i = 0; i < requests.length; i += 1) {
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const r = requests[i];
    const at = Date.now();
    for (let k = 0; k < PER_REQUEST; k += 1) sentAt.set(r.from + k, at);
    pending.push(fetch(`${url}/ingest/pulse-oximeter`, { method: 'POST', body: r.body, headers: r.headers })
      .then(async (res) => { const text = await res.text(); if (!res.ok) { failed += 1; if (failed === 1) console.error(`first ingest failure: ${res.status} ${text.slice(0, 300)}`); } }, () => { failed += 1; }));
  }
  await Promise.all(pending);
  return { sentAt, seconds: (performance.now() - started) / 1000, failed };
}

async function pendingEntries(bridgeUrl) {
  const text = await (await fetch(`${bridgeUrl}/metrics`)).text();
  const match = /iomt_outbox_entries\{status="pending"\} (\d+)/.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

async function waitDrained(bridgeUrl) {
  const started = performance.now();
  for (;;) {
    if ((await pendingEntries(bridgeUrl)) === 0) return (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The sandbox EHR as a delivery target: arrival time = the EHR's own `meta.lastUpdated`. */
function sandboxTarget(sandbox) {
  return {
    name: 'sandbox EHR', fhirBaseUrl: sandbox.fhirBaseUrl, clientId: sandbox.clients.backend,
    async arrivals() {
      const observations = (await (await fetch(`${sandbox.controlUrl}/resources/Observation`)).json()).resources;
      return observations.map((o) => [(o.identifier ?? []).find((i) => i.system === 'urn:iomt-bridge:observation')?.value ?? '', Date.parse(o.meta.lastUpdated)]);
    },
    reset: () => fetch(`${sandbox.controlUrl}/reset`, { method: 'POST' }),
    stop: () => stopProcess(sandbox.child),
  };
}

/** bench/indexed-ehr.js: the same protocol with an identifier index, to show the bridge's side alone. */
async function indexedTarget() {
  let ehr = await startProcess([join(__dirname, 'indexed-ehr.js')], {});
  return {
    name: 'indexed EHR', get fhirBaseUrl() { return `${ehr.url}/fhir`; }, clientId: 'bench',
    async arrivals() {
      return (await (await fetch(`${ehr.url}/_stats`)).json()).arrivals;
    },
    async reset() {
      await stopProcess(ehr.child);
      ehr = await startProcess([join(__dirname, 'indexed-ehr.js')], {});
    },
    stop: () => stopProcess(ehr.child),
  };
}

/** Every bridge of the run signs with the one key registered with the sandbox. */
function installKey(keyDir, dataDir) {
  const name = join('keys', 'ehr-client-es384.private.jwk.json');
  mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  copyFileSync(join(keyDir, name), join(dataDir, name));
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function bridgeEnv(dataDir, target, batch) {
  return {
    ...withoutIomt(process.env), IOMT_DATA_DIR: dataDir, IOMT_PORT: '0', IOMT_LOG_LEVEL: 'info',
    ...(target ? {
      IOMT_EHR_BASE_URL: target.fhirBaseUrl, IOMT_EHR_CLIENT_ID: target.clientId, IOMT_EHR_BATCH_SIZE: String(batch),
      IOMT_EHR_CONCURRENCY: '4', IOMT_EHR_POLL_MS: '20',
    } : {}),
  };
}

/** `iomt-bridge serve`; resolves on its `listening` log line (so the log level stays info). */
function startBridge(env) {
  return startProcess([CLI, 'serve'], env);
}

async function latencyRun(keyDir, target) {
  const dataDir = mkdtempSync(join(tmpdir(), 'iomt-bench-delivery-'));
  try {
    installKey(keyDir, dataDir);
    const devices = await setupDevices(dataDir);
    const bridge = await startBridge(bridgeEnv(dataDir, target, 50));
    const publicUrl = bridge.url.replace('127.0.0.1', 'localhost');
    const requests = await signedRequests(devices, 0, RATE * SECONDS, `${publicUrl}/ingest`);
    const run = await sustained(bridge.url, requests);
    await waitDrained(bridge.url);
    await stopProcess(bridge.child);
    const latencies = [];
    for (const [value, arrived] of await target.arrivals()) {
      const n = Number(/\/bench-(\d+)\//.exec(value)?.[1]);
      if (run.sentAt.has(n)) latencies.push(arrived - run.sentAt.get(n));
    }
    latencies.sort((a, b) => a - b);
    return {
      readings: RATE * SECONDS, observationsAtEhr: latencies.length, sentPerSecond: Math.round((RATE * SECONDS) / run.seconds), ingestFailures: run.failed,
      p50ms: percentile(latencies, 50), p99ms: percentile(latencies, 99), maxms: latencies.at(-1),
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function throughputRun(keyDir, target, batch) {
  const dataDir = mkdtempSync(join(tmpdir(), 'iomt-bench-drain-'));
  try {
    installKey(keyDir, dataDir);
    const devices = await setupDevices(dataDir);
    const offline = await startBridge(bridgeEnv(dataDir, undefined, batch));
    const publicUrl = offline.url.replace('127.0.0.1', 'localhost');
    for (const r of await signedRequests(devices, 10_000_000 * batch, BACKLOG, `${publicUrl}/ingest`)) {
      const res = await fetch(`${offline.url}/ingest/pulse-oximeter`, { method: 'POST', body: r.body, headers: r.headers });
      await res.arrayBuffer();
    }
    await stopProcess(offline.child);
    const bridge = await startBridge(bridgeEnv(dataDir, target, batch));
    const seconds = await waitDrained(bridge.url);
    await stopProcess(bridge.child);
    const entries = BACKLOG * 2 + DEVICES;
    return { batch, entries, seconds: Number(seconds.toFixed(2)), entriesPerSecond: Math.round(entries / seconds), readingsPerSecond: Math.round(BACKLOG / seconds) };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The four measurements against one target, each on a fresh EHR state. */
async function measure(keyDir, target) {
  await target.reset();
  const latency = await latencyRun(keyDir, target);
  await target.reset();
  const batch1 = await throughputRun(keyDir, target, 1);
  await target.reset();
  const batch50 = await throughputRun(keyDir, target, 50);
  return { latency, batch1, batch50, speedup: Number((batch50.entriesPerSecond / batch1.entriesPerSecond).toFixed(2)) };
}

function rows(name, m) {
  return {
    [`${name}: latency @ ${RATE}/s × ${SECONDS}s, batch 50`]: { readingsPerSecond: m.latency.sentPerSecond, p50ms: m.latency.p50ms, p99ms: m.latency.p99ms, maxms: m.latency.maxms },
    [`${name}: drain ${BACKLOG} readings, batch 1`]: { readingsPerSecond: m.batch1.readingsPerSecond, entriesPerSecond: m.batch1.entriesPerSecond, seconds: m.batch1.seconds },
    [`${name}: drain ${BACKLOG} readings, batch 50`]: { readingsPerSecond: m.batch50.readingsPerSecond, entriesPerSecond: m.batch50.entriesPerSecond, seconds: m.batch50.seconds },
  };
}

async function main() {
  const keyDir = mkdtempSync(join(tmpdir(), 'iomt-bench-key-'));
  const key = await loadOrCreateClientKey(keyDir, 'ES384');
  const sandbox = sandboxTarget(await startSandbox({ keys: [key.publicJwk] }));
  const indexed = await indexedTarget();
  try {
    const bySandbox = ONLY === 'indexed' ? undefined : await measure(keyDir, sandbox);
    const byIndexed = ONLY === 'sandbox' ? undefined : await measure(keyDir, indexed);
    console.log(`bench:delivery — ${cpus().length} cores, Node ${process.version}, ${DEVICES} devices, ${PER_REQUEST} readings per ingest request, concurrency 4`);
    console.table({ ...(bySandbox ? rows('sandbox', bySandbox) : {}), ...(byIndexed ? rows('indexed', byIndexed) : {}) });
    for (const [name, m] of [['sandbox EHR', bySandbox], ['indexed EHR', byIndexed]].filter(([, m]) => m !== undefined)) {
      console.log(`${name}: p99 reading → EHR ${m.latency.p99ms} ms at ${m.latency.sentPerSecond} readings/s sent (target < 1000 ms at 1000/s); batching ×${m.speedup}; ingest failures ${m.latency.ingestFailures}`);
    }
    console.log(JSON.stringify({
      bench: 'delivery', cores: cpus().length, node: process.version, rate: RATE, seconds: SECONDS, backlog: BACKLOG, devices: DEVICES,
      sandbox: bySandbox, indexed: byIndexed,
    }));
  } finally {
    await sandbox.stop();
    await indexed.stop();
    rmSync(keyDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
