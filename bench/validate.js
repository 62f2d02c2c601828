'use strict';
/**
 * bench:validate — our validator against @medplum/core@4 `validateResource`, same corpus, same run, one thread:
 * the R4 Observation examples (hl7.fhir.r4.examples) plus the shipped mappings' Observations; base R4 (ours also
 * applies the vital-signs profiles automatically and evaluates invariants), then explicit heart-rate / blood-pressure
 * profiles on the matching resources. Also cold start (fresh process: load + compile + first validation) and heap.
 * Prints a table, then one JSON line of figures. Usage: npm run bench:validate [-- --seconds N --rounds N]
 */
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { machine, describeMachine } = require('./machine');
const { numberOption } = require('./args');

const ROOT = join(__dirname, '..');
const SECONDS = numberOption('seconds', 1);
/** Ours and Medplum alternate this many times per case; the median of each is reported (the machine is shared). */
const ROUNDS = numberOption('rounds', 3);
const SD = 'http://hl7.org/fhir/StructureDefinition/';

function corpus() {
  const examples = join(ROOT, 'node_modules', 'hl7.fhir.r4.examples');
  const out = readdirSync(examples).filter((f) => /^Observation-.*\.json$/.test(f)).map((f) => JSON.parse(readFileSync(join(examples, f), 'utf8')));
  for (const family of readdirSync(join(ROOT, 'mappings'))) {
    const dir = join(ROOT, 'mappings', family, 'expected');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) out.push(...(JSON.parse(readFileSync(join(dir, f), 'utf8')).observations ?? []));
  }
  return out;
}

const hasLoinc = (code) => (r) => (r.code?.coding ?? []).some((c) => c.system === 'http://loinc.org' && c.code === code);

/** Validations per second of `fn` over `items`, looping for SECONDS after a short warm-up. */
function rate(items, fn) {
  for (let i = 0; i < 200; i++) fn(items[i % items.length]);
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(SECONDS * 1e9));
  while (process.hrtime.bigint() - start < budget) {
    for (const r of items) fn(r);
    n += items.length;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

function coldStart() {
  const script = `const t=process.hrtime.bigint();const v=require('./dist/validation');const x=v.createValidator(v.loadDefinitions({profilesDir:'profiles'}));` +
    `x.validate(${JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'x' } })});` +
    `process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  return Number(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }));
}

function ours() {
  const before = process.memoryUsage().heapUsed;
  const { createValidator, loadDefinitions } = require(join(ROOT, 'dist', 'validation'));
  const v = createValidator(loadDefinitions({ profilesDir: join(ROOT, 'profiles') }));
  return { v, heapMb: (process.memoryUsage().heapUsed - before) / 2 ** 20 };
}

function medplum() {
  const before = process.memoryUsage().heapUsed;
  const core = require('@medplum/core');
  const defs = (f) => JSON.parse(readFileSync(join(ROOT, 'node_modules', '@medplum', 'definitions', 'dist', 'fhir', 'r4', f), 'utf8'));
  for (const f of ['profiles-types.json', 'profiles-resources.json', 'profiles-medplum.json']) {
    try {
      core.indexStructureDefinitionBundle(defs(f));
    } catch {
      // profiles-medplum.json may be absent in some versions; the two R4 bundles are what matters
    }
  }
  const others = defs('profiles-others.json').entry.map((e) => e.resource);
  const profile = (id) => others.find((r) => r.url === `${SD}${id}`);
  const validate = (r, sd) => {
    try {
      core.validateResource(r, sd ? { profile: sd } : undefined);
    } catch {
      // validateResource throws an OperationOutcomeError for an invalid resource: that is a verdict, not a failure
    }
  };
  return { validate, profile, heapMb: (process.memoryUsage().heapUsed - before) / 2 ** 20 };
}

function main() {
  const host = machine(); // before our own load
  const items = corpus();
  const cold = coldStart();
  const o = ours();
  const m = medplum();
  const hr = items.filter(hasLoinc('8867-4'));
  const bp = items.filter(hasLoinc('85354-9'));
  const rows = [
    ['base R4 (+ auto vital signs, invariants)', items, (r) => o.v.validate(r), (r) => m.validate(r)],
    ['heart-rate profile', hr, (r) => o.v.validate(r, { profiles: [`${SD}heartrate`] }), (r) => m.validate(r, m.profile('heartrate'))],
    ['blood-pressure profile', bp, (r) => o.v.validate(r, { profiles: [`${SD}bp`] }), (r) => m.validate(r, m.profile('bp'))],
  ].map(([name, set, oursFn, theirsFn]) => {
    const a = [];
    const b = [];
    for (let i = 0; i < ROUNDS; i++) {
      a.push(rate(set, oursFn));
      b.push(rate(set, theirsFn));
    }
    return { name, resources: set.length, ours: median(a), medplum: median(b), ratio: median(a) / median(b) };
  });
  console.log(describeMachine(host));
  console.log(`corpus: ${items.length} Observations (${hr.length} heart rate, ${bp.length} blood pressure); median of ${ROUNDS} alternating ${SECONDS}s measurements, one thread`);
  console.log(`${'case'.padEnd(44)}${'ours/s'.padStart(12)}${'medplum/s'.padStart(12)}${'ratio'.padStart(8)}`);
  for (const r of rows) {
    console.log(`${r.name.padEnd(44)}${r.ours.toFixed(0).padStart(12)}${r.medplum.toFixed(0).padStart(12)}${r.ratio.toFixed(1).padStart(8)}`);
  }
  console.log(`cold start (fresh process: load + compile + first validation): ${cold.toFixed(0)} ms`);
  console.log(`heap after boot: ours ${o.heapMb.toFixed(1)} MB, medplum ${m.heapMb.toFixed(1)} MB`);
  const fig = (r) => ({ ours: Math.round(r.ours), medplum: Math.round(r.medplum), ratio: Number(r.ratio.toFixed(2)) });
  console.log(JSON.stringify({
    machine: host, corpus: items.length, base: fig(rows[0]), heartrate: fig(rows[1]), bp: fig(rows[2]),
    coldStartMs: Math.round(cold), heapMb: { ours: Number(o.heapMb.toFixed(1)), medplum: Number(m.heapMb.toFixed(1)) },
  }));
}

main();
