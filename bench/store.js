'use strict';
/**
 * bench:store — what the durable commit costs on each store adapter, in one run: `commitIngest` of real mapped
 * readings (the pulse-oximeter family's output, validated: a Device unchanged after the first commit plus two
 * Observations per reading, fresh identifiers each time) with its audit entry and outbox rows.
 * Peers: SQLite in the calling thread (what CLI commands use), SQLite on its writer thread (what `serve` uses),
 * and PostgreSQL (IOMT_STORE=postgres) on a fresh schema dropped afterwards. Each at 1 and at 16 commits in
 * flight, like one device and like many devices at once.
 * Prints a table, then one JSON line of figures.
 * Usage: npm run bench:store [-- --commits 400 --per-commit 10 --postgres postgres://postgres@127.0.0.1:5432/test]
 */
const { randomBytes } = require('node:crypto');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const pg = require('pg');
const { loadMappings } = require('../dist/mapping');
const { createValidator, loadDefinitions } = require('../dist/validation');
const { buildIngestAuditEvent } = require('../dist/audit');
const { openSqliteStore, openPostgresStore } = require('../dist/store');
const { machine, describeMachine } = require('./machine');
const { option, numberOption } = require('./args');

const COMMITS = numberOption('commits', 400);
const PER_COMMIT = numberOption('per-commit', 10);
const PG_URL = option('postgres', process.env.IOMT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const ROOT = join(__dirname, '..');

/** One commit's resources: PER_COMMIT readings of one device, each reading a fresh message id. */
function commitFactory() {
  const mapping = loadMappings(join(ROOT, 'mappings')).find((m) => m.id === 'pulse-oximeter');
  const validator = createValidator(loadDefinitions({ profilesDir: join(ROOT, 'profiles') }));
  const example = JSON.parse(readFileSync(join(ROOT, 'mappings', 'pulse-oximeter', 'examples', 'with-message-id.json'), 'utf8'));
  let n = 0;
  return (deviceId) => {
    const resources = new Map();
    for (let r = 0; r < PER_COMMIT; r++) {
      n += 1;
      const payload = { ...example, messageId: `bench-${n}`, timestamp: new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString() };
      const out = mapping.map({ payload, device: { deviceId, patient: 'Patient/bench' } });
      for (const resource of [out.device, ...out.observations]) {
        if (validator.validate(resource).issue.some((i) => i.severity === 'error')) throw new Error(`the bench's own reading is invalid: ${resource.id}`);
        resources.set(`${resource.resourceType}/${resource.id}`, resource);
      }
    }
    const list = [...resources.values()];
    return {
      deviceId, jti: randomBytes(12).toString('hex'), jtiExpiresAt: Math.floor(Date.now() / 1000) + 300, resources: list,
      audit: buildIngestAuditEvent({ deviceId, outcome: 'success', recorded: new Date(), requestId: `bench-${n}`, entities: list.map((x) => `${x.resourceType}/${x.id}`) }),
    };
  };
}

/** Commits every prepared commit, `inFlight` at a time; readings/s and commit latency percentiles. */
async function run(store, commits, inFlight) {
  const latencies = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    while (next < commits.length) {
      const commit = commits[next++];
      const t = process.hrtime.bigint();
      await store.commitIngest(commit);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const pct = (p) => Number(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1));
  return { readingsPerSecond: Math.round((commits.length * PER_COMMIT) / seconds), commitsPerSecond: Math.round(commits.length / seconds), p50ms: pct(0.5), p99ms: pct(0.99) };
}

async function withSqlite(writerThread, use) {
  const dir = mkdtempSync(join(tmpdir(), 'iomt-bench-store-'));
  const store = openSqliteStore({ file: join(dir, 'bench.db'), writerThread });
  try {
    return await use(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withPostgres(use) {
  const schema = `iomt_bench_${randomBytes(6).toString('hex')}`;
  const store = await openPostgresStore({ url: PG_URL, schema });
  try {
    return await use(store);
  } finally {
    await store.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}

async function main() {
  const host = machine(); // before our own load
  const make = commitFactory();
  const prepare = (count) => Array.from({ length: count }, (_, i) => make(`bench-dev-${i % 20}`));
  const adapters = [
    ['sqliteInThread', 'SQLite, in the calling thread', (use) => withSqlite(false, use)],
    ['sqliteWriterThread', 'SQLite, writer thread (serve)', (use) => withSqlite(true, use)],
    ['postgres', 'PostgreSQL', withPostgres],
  ];
  const rows = {};
  const figures = {};
  for (const [key, name, open] of adapters) {
    for (const inFlight of [1, 16]) {
      // Every cell commits new readings (a warm-up of 50 first): nothing is an unchanged resend but the Device.
      const result = await open(async (store) => {
        await run(store, prepare(50), inFlight);
        return run(store, prepare(COMMITS), inFlight);
      });
      rows[`${name}, ${inFlight} in flight`] = result;
      figures[key] = { ...figures[key], [`inFlight${inFlight}`]: result };
    }
  }
  console.log(`bench:store — ${describeMachine(host)}; ${COMMITS} commits of ${PER_COMMIT} readings (${2 * PER_COMMIT} Observations + 1 Device) per cell`);
  console.table(rows);
  console.log(JSON.stringify({ bench: 'store', machine: host, commits: COMMITS, perCommit: PER_COMMIT, results: figures }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
