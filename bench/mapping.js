'use strict';
/**
 * bench:mapping — mapping throughput (readings/s on one core: this process is single-threaded) for every
 * shipped mapping and for MedTech's sample templates, map only and map + validate, in the same run.
 * A "reading" is one Observation produced. The inputs are the families' own examples/ (and MedTech messages
 * built like the sample's), cycled with fresh message ids so no work is cached.
 * Prints a table, then one JSON line of figures. Usage: npm run bench:mapping [-- --seconds S]
 */
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const { loadMappings, loadMappingPath, selectMapping } = require('../dist/mapping');
const { createValidator, loadDefinitions } = require('../dist/validation');
const { anchor } = require('./anchors');
const { machine, describeMachine } = require('./machine');
const { numberOption } = require('./args');

const SECONDS = numberOption('seconds', 1);
const ROOT = join(__dirname, '..');
const MEDTECH = anchor('medtech', 'templates', 'basic');

const mappings = loadMappings(join(ROOT, 'mappings'));
const validator = createValidator(loadDefinitions({ profilesDir: join(ROOT, 'profiles') }));

/** Payload variants: the examples with a different message id / time each, so identifiers differ. */
function examples(family) {
  const dir = join(ROOT, 'mappings', family, 'examples');
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
}

function medtechMessages() {
  return Array.from({ length: 60 }, (_, i) => ({
    deviceid: 'band-1', patientid: 'p-1', measurementdatetime: new Date(Date.UTC(2024, 4, 14, 9, i)).toISOString(),
    ...(i % 2 === 0 ? { heartrate: String(60 + (i % 30)) } : { steps: String(i * 7) }),
  }));
}

/** Runs `work` for SECONDS (after a short warm-up); returns readings per second. */
function measure(work) {
  const warm = Date.now() + 200;
  while (Date.now() < warm) work();
  let readings = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < end) {
    for (let i = 0; i < 20; i += 1) readings += work();
    now = process.hrtime.bigint();
  }
  return readings / (Number(now - start) / 1e9);
}

function bench(id, mapping, payloads, device) {
  let i = 0;
  const next = () => payloads[(i += 1) % payloads.length];
  const mapOnly = measure(() => mapping.map({ payload: next(), device }).observations.length);
  const withValidation = measure(() => {
    const out = mapping.map({ payload: next(), device });
    validator.validate(out.device);
    for (const o of out.observations) validator.validate(o);
    return out.observations.length;
  });
  return { id, kind: mapping.kind ?? 'iomt', mapOnly: Math.round(mapOnly), mapAndValidate: Math.round(withValidation) };
}

function main() {
  const host = machine(); // before our own load
  const cases = mappings.map((m) => ({ id: m.id, mapping: m, payloads: examples(m.id), device: { deviceId: `dev-${m.id}-1`, patient: 'Patient/example' } }));
  for (const c of cases) selectMapping(mappings, c.payloads[0]); // the examples are this family's
  if (existsSync(MEDTECH)) cases.push({ id: 'medtech-basic (hourly SampledData)', mapping: loadMappingPath(MEDTECH), payloads: medtechMessages(), device: { deviceId: 'gw-1' } });
  // Warm every path (JIT, the validator's per-profile caches) before any cell is measured, so order does not matter.
  for (const c of cases) for (const payload of c.payloads) { const out = c.mapping.map({ payload, device: c.device }); [out.device, ...out.observations].forEach((r) => validator.validate(r)); }
  const rows = cases.map((c) => bench(c.id, c.mapping, c.payloads, c.device));
  const pad = (s, n) => String(s).padEnd(n);
  const num = (n) => n.toLocaleString('en-US').padStart(12);
  console.log(describeMachine(host));
  console.log(`mapping throughput, readings (Observations) per second on one core, ${SECONDS}s per cell, node ${process.version}`);
  console.log(`${pad('mapping', 38)}${pad('kind', 9)}${'map only'.padStart(12)}${'map+validate'.padStart(14)}  validation share`);
  for (const r of rows) console.log(`${pad(r.id, 38)}${pad(r.kind, 9)}${num(r.mapOnly)}  ${num(r.mapAndValidate)}  ${Math.round(100 * (1 - r.mapAndValidate / r.mapOnly))}%`);
  console.log(JSON.stringify({ bench: 'mapping', machine: host, unit: 'readings/s/core', seconds: SECONDS, results: rows }));
}

main();
