'use strict';
/* global fetch, performance, setTimeout, __filename */
/**
 * bench:delivery — readings pushed to an EHR by real processes: `iomt-bridge serve` with delivery on, and two
 * EHR peers in the same run — the sandbox EHR (`iomt-bridge sandbox`: oidc-provider SMART server, FHIR endpoint)
 * and bench/indexed-ehr.js (a bare endpoint with an identifier index: the bridge's own cost).
 *   1. latency: readings sent at a sustained rate (default 1,000/s for 15 s, after a 3 s warm-up at that rate whose
 *      readings are delivered but not counted) by a SEPARATE load process, every
 *      request signed before the run starts; reading → EHR latency is the moment the EHR stored the Observation
 *      (`meta.lastUpdated` at the sandbox) minus the moment its ingest request was sent.
 *   2. throughput: a backlog committed with delivery off, then drained with transaction Bundles of 1 entry and
 *      of 50 entries, same run, same EHR.
 * Load shape: like a gateway, each ingest request carries `--per-request` readings (default 10: 100 requests/s
 * at 1,000 readings/s) of one device, devices round-robin; each reading makes 2 Observations.
 * Prints a table, then one JSON line of figures.
 * Usage: npm run bench:delivery [-- --rate 1000 --seconds 15 --warmup 3 --backlog 5000 --devices 20 --per-request 10
 *        --concurrency N (IOMT_EHR_CONCURRENCY; default the bridge's 8) --only sandbox|indexed --latency-only --store sqlite|postgres [--postgres URL] (a fresh schema per bridge run, dropped after) --profile DIR (CPU profiles of each bridge and of the sandbox, one folder each, one file per thread)]
 */
const { copyFileSync, mkdirSync, mkdtempSync, rmSync } = require('node:fs');
const { fork, spawn } = require('node:child_process');
const http = require('node:http');
const pg = require('pg');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { exportJWK, generateKeyPair } = require('jose');
const { signDeviceToken } = require('../dist/ingest');
const { loadOrCreateClientKey } = require('../dist/delivery');
const { openPostgresStore, openSqliteStore } = require('../dist/store');
const { startProcess, stopProcess } = require('./lib');
const { machine, describeMachine } = require('./machine');
const { option, numberOption } = require('./args');

const RATE = numberOption('rate', 1000);
const SECONDS = numberOption('seconds', 15);
// Sent first, at the same rate, delivered, not counted: a fresh process compiles FHIRPath invariants on first
// use, fetches its EHR token and looks each device's patient up once.
const WARMUP = numberOption('warmup', 3);
const BACKLOG = numberOption('backlog', 5000);
const DEVICES = numberOption('devices', 20);
const PER_REQUEST = numberOption('per-request', 10);
/** IOMT_EHR_CONCURRENCY for every bridge of the run; the bridge's default (8) unless given. */
const CONCURRENCY = option('concurrency', undefined);
const ONLY = option('only', undefined);
const LATENCY_ONLY = process.argv.includes('--latency-only');
const PROFILE_DIR = option('profile', undefined);
/** The bridges' store: the embedded SQLite file (default) or PostgreSQL, a fresh schema per bridge run. */
const STORE = option('store', 'sqlite');
const PG_URL = option('postgres', process.env.IOMT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
if (!['sqlite', 'postgres'].includes(STORE)) throw new Error(`--store sqlite|postgres, not ${STORE}`);
const CLI = join(__dirname, '..', 'bin', 'iomt-bridge.js');

function reading(i) {
  return {
    type: 'pulse-oximeter', messageId: `bench-${i}`, timestamp: new Date(Date.UTC(2024, 0, 1) + i * 10).toISOString(),
    device: { serial: 'PO-BENCH', manufacturer: 'Acme Medical', model: 'OxiClip 300', firmware: '2.4.1' }, spo2: 90 + (i % 10), pulseRate: 60 + (i % 40),
  };
}

/** Pre-signed NDJSON requests of `perRequest` readings, devices round-robin; reading numbers from `first`. */
async function signedRequests(devices, first, readings, perRequest, audience) {
  const out = [];
  for (let r = 0; r < readings / perRequest; r += 1) {
    const device = devices[r % devices.length];
    const from = first + r * perRequest;
    const body = Array.from({ length: perRequest }, (_, i) => JSON.stringify(reading(from + i))).join('\n');
    const token = await signDeviceToken({ privateJwk: device.privateJwk, deviceId: device.id, audience, body, lifetimeSeconds: 290 }); // the bridge refuses device tokens living over 300 s
    out.push({ from, body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson', 'content-length': String(Buffer.byteLength(body)) } });
  }
  return out;
}

// ---- the load process: signs everything first, then sends on a fixed schedule, never waiting for answers ----

function post(agent, url, r) {
  return new Promise((done) => {
    const req = http.request(url, { method: 'POST', agent, headers: r.headers }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode));
    });
    req.on('error', () => done(0));
    req.end(r.body);
  });
}

async function loadWorker() {
  const job = await new Promise((ok) => process.once('message', ok));
  const requests = await signedRequests(job.devices, job.first, job.readings, job.perRequest, job.audience);
  process.send({ ready: true });
  await new Promise((ok) => process.once('message', ok));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = `${job.url}/ingest/pulse-oximeter`;
  const intervalMs = (1000 * job.perRequest) / job.rate;
  const sentAt = [];
  const answers = [];
  let maxLateMs = 0;
  const started = performance.now();
  for (let i = 0; i < requests.length; i += 1) {
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((ok) => setTimeout(ok, wait));
    maxLateMs = Math.max(maxLateMs, performance.now() - due);
    sentAt.push(Date.now());
    answers.push(post(agent, url, requests[i]));
  }
  const seconds = (performance.now() - started) / 1000;
  const statuses = await Promise.all(answers);
  process.send({ sentAt, seconds, maxLateMs: Math.round(maxLateMs), failed: statuses.filter((s) => s < 200 || s >= 300).length });
  agent.destroy();
  process.disconnect();
}

/** Runs the load process: resolves with a `start()` that fires the schedule once every request is signed. */
async function loadProcess(job) {
  const child = fork(__filename, ['--load-worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const message = () => new Promise((ok, fail) => {
    child.once('message', ok);
    child.once('exit', (code) => fail(new Error(`load process exited with ${code}`)));
  });
  child.send(job);
  await message();
  return { start: () => { const result = message(); child.send({ go: true }); return result; } };
}

// ---- processes under test ----

/** `iomt-bridge sandbox` on free ports with its control API; resolves with the URLs it logs. */
function startSandbox(jwks) {
  return new Promise((ok, fail) => {
    const profile = PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', resolve(PROFILE_DIR, 'sandbox')] : [];
    const child = spawn(process.execPath, [...profile, CLI, 'sandbox', '--fhir-port', '0', '--auth-port', '0', '--faults', '--log-level', 'info', '--backend-jwks-json', JSON.stringify(jwks)], {
      env: withoutIomt(process.env), stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Its `sandbox listening` line is logged at info (a quieter level would hide it); the request log after it is
    // drained unread.
    let buffered = '';
    const onData = (chunk) => {
      buffered += chunk;
      for (const line of buffered.split('\n').slice(0, -1)) {
        try {
          const record = JSON.parse(line);
          if (record.msg === 'sandbox listening') {
            child.stdout.off('data', onData);
            child.stdout.resume();
            return ok({ child, ...record });
          }
        } catch { /* not JSON */ }
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('exit', (code) => fail(new Error(`sandbox exited with ${code}`)));
  });
}

function withoutIomt(env) {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('IOMT_')));
}

/** The schema of a PostgreSQL run, named after its data folder (one per run, dropped with it). */
const schemaOf = (dataDir) => `iomt_bench_${dataDir.replace(/\W/g, '').slice(-12).toLowerCase()}`;

const openBenchStore = (dataDir) => (STORE === 'postgres'
  ? openPostgresStore({ url: PG_URL, schema: schemaOf(dataDir) })
  : Promise.resolve(openSqliteStore({ file: join(dataDir, 'iomt-bridge.db') })));

/** Removes a run's data: its folder, and with PostgreSQL its schema. */
async function removeRunData(dataDir) {
  rmSync(dataDir, { recursive: true, force: true });
  if (STORE !== 'postgres') return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schemaOf(dataDir)} CASCADE`);
  await client.end();
}

async function setupDevices(dataDir) {
  const store = await openBenchStore(dataDir);
  const devices = [];
  for (let d = 0; d < DEVICES; d += 1) {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    await store.addDevice({ id: `bench-${d}`, publicJwk: await exportJWK(publicKey), patient: 'Patient/example' });
    devices.push({ id: `bench-${d}`, privateJwk: await exportJWK(privateKey) });
  }
  await store.close();
  return devices;
}

async function pendingEntries(bridgeUrl) {
  const text = await (await fetch(`${bridgeUrl}/metrics`)).text();
  const match = /iomt_outbox_entries\{status="pending"\} (\d+)/.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/** Where the time went, from the bridge's own /metrics: mean ingest answer time, EHR calls and their mean. */
function bridgeFigures(text) {
  const value = (name) => Number(new RegExp(`^${name.replace(/[{}"=]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const mean = (base, labels) => Math.round((1000 * value(`${base}_sum${labels}`)) / value(`${base}_count${labels}`));
  return {
    ingestMeanMs: mean('iomt_ingest_duration_seconds', '{outcome="accepted"}'),
    ehrTransactions: value('iomt_ehr_request_duration_seconds_count{operation="transaction"}'),
    ehrTransactionMeanMs: mean('iomt_ehr_request_duration_seconds', '{operation="transaction"}'),
    ehrPatientLookups: value('iomt_ehr_request_duration_seconds_count{operation="patient"}'),
    ehrPatientMeanMs: mean('iomt_ehr_request_duration_seconds', '{operation="patient"}'),
  };
}

async function waitDrained(bridgeUrl) {
  const started = performance.now();
  for (;;) {
    if ((await pendingEntries(bridgeUrl)) === 0) return (performance.now() - started) / 1000;
    // Not faster: /metrics counts the outbox by status, which is work for the bridge under test.
    await new Promise((ok) => setTimeout(ok, 250));
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

/** bench/indexed-ehr.js: the same protocol with an identifier index and no token checks: the bridge's side alone. */
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

/** The bridge as shipped (default poll, lease, concurrency unless --concurrency), only the EHR and the batch size set. */
function bridgeEnv(dataDir, target, batch) {
  return {
    ...withoutIomt(process.env), IOMT_DATA_DIR: dataDir, IOMT_PORT: '0', IOMT_LOG_LEVEL: 'info', IOMT_MQTT_PORT: '0',
    ...(STORE === 'postgres' ? { IOMT_STORE: 'postgres', IOMT_POSTGRES_URL: PG_URL, IOMT_POSTGRES_SCHEMA: schemaOf(dataDir) } : {}),
    ...(target ? { IOMT_EHR_BASE_URL: target.fhirBaseUrl, IOMT_EHR_CLIENT_ID: target.clientId, IOMT_EHR_BATCH_SIZE: String(batch) } : {}),
    ...(target && CONCURRENCY !== undefined ? { IOMT_EHR_CONCURRENCY: CONCURRENCY } : {}),
  };
}

/** `iomt-bridge serve`; resolves on its `listening` log line (so the log level stays info). */
function startBridge(env, profileName) {
  // One folder per bridge: Node writes a profile per thread (the event loop and the store's writer thread).
  const profile = PROFILE_DIR && profileName ? ['--cpu-prof', '--cpu-prof-dir', resolve(PROFILE_DIR, profileName)] : [];
  return startProcess([...profile, CLI, 'serve'], env);
}

async function latencyRun(keyDir, target) {
  const dataDir = mkdtempSync(join(tmpdir(), 'iomt-bench-delivery-'));
  try {
    installKey(keyDir, dataDir);
    const devices = await setupDevices(dataDir);
    const bridge = await startBridge(bridgeEnv(dataDir, target, 50), `bridge-${target.name.split(' ')[0]}`);
    const load = await loadProcess({
      url: bridge.url, audience: `${bridge.url.replace('127.0.0.1', 'localhost')}/ingest`, devices, first: 0,
      readings: RATE * (WARMUP + SECONDS), perRequest: PER_REQUEST, rate: RATE,
    });
    const run = await load.start();
    await waitDrained(bridge.url);
    const inside = bridgeFigures(await (await fetch(`${bridge.url}/metrics`)).text());
    await stopProcess(bridge.child);
    const latencies = [];
    let arrivedInAll = 0;
    for (const [value, arrived] of await target.arrivals()) {
      const n = Number(/\/bench-(\d+)\//.exec(value)?.[1]);
      const sent = run.sentAt[Math.floor(n / PER_REQUEST)];
      if (sent !== undefined) arrivedInAll += 1;
      if (sent !== undefined && n >= RATE * WARMUP) latencies.push(arrived - sent);
    }
    latencies.sort((a, b) => a - b);
    return {
      readings: RATE * SECONDS, warmupReadings: RATE * WARMUP, observationsAtEhr: arrivedInAll, measuredObservations: latencies.length,
      sentPerSecond: Math.round((RATE * (WARMUP + SECONDS)) / run.seconds),
      loadMaxLateMs: run.maxLateMs, ingestFailures: run.failed,
      p50ms: percentile(latencies, 50), p99ms: percentile(latencies, 99), maxms: latencies.at(-1), bridge: inside,
    };
  } finally {
    await removeRunData(dataDir);
  }
}

async function throughputRun(keyDir, target, batch) {
  const dataDir = mkdtempSync(join(tmpdir(), 'iomt-bench-drain-'));
  try {
    installKey(keyDir, dataDir);
    const devices = await setupDevices(dataDir);
    const offline = await startBridge(bridgeEnv(dataDir, undefined, batch));
    const publicUrl = offline.url.replace('127.0.0.1', 'localhost');
    for (const r of await signedRequests(devices, 10_000_000 * batch, BACKLOG, PER_REQUEST, `${publicUrl}/ingest`)) {
      const res = await fetch(`${offline.url}/ingest/pulse-oximeter`, { method: 'POST', body: r.body, headers: r.headers });
      await res.arrayBuffer();
    }
    await stopProcess(offline.child);
    const bridge = await startBridge(bridgeEnv(dataDir, target, batch), `drain-${target.name.split(" ")[0]}-batch${batch}`);
    const seconds = await waitDrained(bridge.url);
    await stopProcess(bridge.child);
    const entries = BACKLOG * 2 + DEVICES;
    return { batch, entries, seconds: Number(seconds.toFixed(2)), entriesPerSecond: Math.round(entries / seconds), readingsPerSecond: Math.round(BACKLOG / seconds) };
  } finally {
    await removeRunData(dataDir);
  }
}

/** The measurements against one target, each on a fresh EHR state. */
async function measure(keyDir, target) {
  await target.reset();
  const latency = await latencyRun(keyDir, target);
  if (LATENCY_ONLY) return { latency };
  await target.reset();
  const batch1 = await throughputRun(keyDir, target, 1);
  await target.reset();
  const batch50 = await throughputRun(keyDir, target, 50);
  return { latency, batch1, batch50, speedup: Number((batch50.entriesPerSecond / batch1.entriesPerSecond).toFixed(2)) };
}

function rows(name, m) {
  const out = {
    [`${name}: latency @ ${RATE}/s × ${SECONDS}s (after ${WARMUP}s warm-up), batch 50`]: { readingsPerSecond: m.latency.sentPerSecond, p50ms: m.latency.p50ms, p99ms: m.latency.p99ms, maxms: m.latency.maxms },
  };
  if (m.batch1) out[`${name}: drain ${BACKLOG} readings, batch 1`] = { readingsPerSecond: m.batch1.readingsPerSecond, entriesPerSecond: m.batch1.entriesPerSecond, seconds: m.batch1.seconds };
  if (m.batch50) out[`${name}: drain ${BACKLOG} readings, batch 50`] = { readingsPerSecond: m.batch50.readingsPerSecond, entriesPerSecond: m.batch50.entriesPerSecond, seconds: m.batch50.seconds };
  return out;
}

async function main() {
  const keyDir = mkdtempSync(join(tmpdir(), 'iomt-bench-key-'));
  const key = await loadOrCreateClientKey(keyDir, 'ES384');
  const sandbox = sandboxTarget(await startSandbox({ keys: [key.publicJwk] }));
  const indexed = await indexedTarget();
  const host = machine(); // before our own load
  try {
    const bySandbox = ONLY === 'indexed' ? undefined : await measure(keyDir, sandbox);
    const byIndexed = ONLY === 'sandbox' ? undefined : await measure(keyDir, indexed);
    console.log(`bench:delivery — ${describeMachine(host)}; store ${STORE}; ${DEVICES} devices, ${PER_REQUEST} readings per ingest request (separate load process), bridge defaults${CONCURRENCY === undefined ? ' (concurrency 8)' : `, but concurrency ${CONCURRENCY}`}`);
    console.table({ ...(bySandbox ? rows('sandbox', bySandbox) : {}), ...(byIndexed ? rows('indexed', byIndexed) : {}) });
    for (const [name, m] of [['sandbox EHR', bySandbox], ['indexed EHR', byIndexed]].filter(([, m]) => m !== undefined)) {
      const met = m.latency.p99ms < 1000 && m.latency.sentPerSecond >= RATE * 0.98 && m.latency.ingestFailures === 0;
      console.log(`${name}: p99 reading → EHR ${m.latency.p99ms} ms at ${m.latency.sentPerSecond} readings/s sent (load process at most ${m.latency.loadMaxLateMs} ms behind schedule; target p99 < 1000 ms at ${RATE}/s: ${met ? 'met' : 'NOT met'})${m.speedup ? `; batching ×${m.speedup}` : ''}; ingest failures ${m.latency.ingestFailures}`);
    }
    console.log(JSON.stringify({
      bench: 'delivery', machine: host, store: STORE, rate: RATE, seconds: SECONDS, warmupSeconds: WARMUP, backlog: BACKLOG,
      devices: DEVICES, perRequest: PER_REQUEST, concurrency: Number(CONCURRENCY ?? 8), sandbox: bySandbox, indexed: byIndexed,
    }));
  } finally {
    await sandbox.stop();
    await indexed.stop();
    rmSync(keyDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--load-worker')) {
  loadWorker().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
