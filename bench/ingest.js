'use strict';
/**
 * bench:ingest — HTTP ingest through the whole spine (device JWT check, strict parse, mapping, validation,
 * one durable SQLite commit) against a bare Hapi route reading the same bytes, same concurrency, same run.
 * Prints a table, then one JSON line of figures. Usage: npm run bench:ingest [-- --single N --batches N --connections N]
 */
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { exportJWK, generateKeyPair } = require('jose');
const { signDeviceToken } = require('../dist/ingest');
const { startProcess, stopProcess, load, summarise } = require('./lib');
const { machine, describeMachine } = require('./machine');
const { numberOption } = require('./args');

const SINGLE = numberOption('single', 5000);
const BATCHES = numberOption('batches', 300);
const BATCH_SIZE = 100;
const CONNECTIONS = numberOption('connections', 10);
const CLI = join(__dirname, '..', 'bin', 'iomt-bridge.js');

function reading(i) {
  const at = new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString();
  return {
    type: 'pulse-oximeter', messageId: `bench-${i}`, timestamp: at,
    device: { serial: 'PO-BENCH-1', manufacturer: 'Acme Medical', model: 'OxiClip 300', firmware: '2.4.1' },
    spo2: 90 + (i % 10), pulseRate: 60 + (i % 40),
  };
}

async function signedRequests(key, audience, bodies) {
  const out = [];
  for (const body of bodies) {
    const token = await signDeviceToken({ privateJwk: key, deviceId: 'bench-oxi', audience, body, lifetimeSeconds: 300 });
    out.push({ body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  }
  return out;
}

async function main() {
  const host = machine(); // before our own load
  const dataDir = mkdtempSync(join(tmpdir(), 'iomt-bench-'));
  const env = { IOMT_DATA_DIR: dataDir, IOMT_PORT: '0' };
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  writeFileSync(join(dataDir, 'device.pub.json'), JSON.stringify(await exportJWK(publicKey)));
  const add = spawnSync(process.execPath, [CLI, 'devices', 'add', '--id', 'bench-oxi', '--jwk', join(dataDir, 'device.pub.json'), '--patient', 'Patient/bench'], { env: { ...process.env, ...env } });
  if (add.status !== 0) throw new Error(`devices add failed: ${add.stderr}`);
  const privateJwk = await exportJWK(privateKey);

  // BENCH_BRIDGE_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the bridge process alone.
  const nodeArgs = (process.env.BENCH_BRIDGE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const bridge = await startProcess([...nodeArgs, CLI, 'serve'], env);
  const bare = await startProcess([join(__dirname, 'bare-server.js')], {});
  const publicUrl = bridge.url.replace('127.0.0.1', 'localhost');
  const audience = `${publicUrl}/ingest`;
  try {
    let n = 0;
    const single = (count) => Array.from({ length: count }, () => JSON.stringify(reading(n++)));
    const batch = (count) => Array.from({ length: count }, () => JSON.stringify(Array.from({ length: BATCH_SIZE }, () => reading(n++))));
    // Warm-up (JIT, SQLite page cache), then the measured runs: each target gets its own identical-shape requests.
    await load(bridge.url, '/ingest', await signedRequests(privateJwk, audience, single(300)), CONNECTIONS);
    await load(bare.url, '/ingest', await signedRequests(privateJwk, audience, single(300)), CONNECTIONS);
    const rows = {};
    rows.bareSingle = summarise(await load(bare.url, '/ingest', await signedRequests(privateJwk, audience, single(SINGLE)), CONNECTIONS), 1);
    rows.bridgeSingle = summarise(await load(bridge.url, '/ingest', await signedRequests(privateJwk, audience, single(SINGLE)), CONNECTIONS), 1);
    rows.bareBatch = summarise(await load(bare.url, '/ingest', await signedRequests(privateJwk, audience, batch(BATCHES)), CONNECTIONS), BATCH_SIZE);
    rows.bridgeBatch = summarise(await load(bridge.url, '/ingest', await signedRequests(privateJwk, audience, batch(BATCHES)), CONNECTIONS), BATCH_SIZE);
    report(rows, host);
  } finally {
    await stopProcess(bridge.child);
    await stopProcess(bare.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(rows, host) {
  console.log(`bench:ingest — ${describeMachine(host)}; ${CONNECTIONS} connections, ${SINGLE} single / ${BATCHES}×${BATCH_SIZE} batched requests`);
  console.table(Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, r])));
  const ratioSingle = rows.bridgeSingle.requestsPerSecond / rows.bareSingle.requestsPerSecond;
  const ratioBatch = rows.bridgeBatch.requestsPerSecond / rows.bareBatch.requestsPerSecond;
  const failures = rows.bridgeSingle.non2xx + rows.bridgeBatch.non2xx + rows.bridgeSingle.errors + rows.bridgeBatch.errors;
  console.log(`single-reading ingest at ${(ratioSingle * 100).toFixed(1)} % of the bare route; 100-reading batches at ${(ratioBatch * 100).toFixed(1)} %; bridge non-2xx/errors: ${failures}`);
  console.log(JSON.stringify({
    benchmark: 'ingest', machine: host, connections: CONNECTIONS,
    single: { bridge: rows.bridgeSingle, bare: rows.bareSingle, ratio: Number(ratioSingle.toFixed(3)) },
    batch100: { bridge: rows.bridgeBatch, bare: rows.bareBatch, ratio: Number(ratioBatch.toFixed(3)) },
    bridgeFailures: failures,
  }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
