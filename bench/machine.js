'use strict';
// What the machine was like when a benchmark ran, so figures from different days can be compared: the same
// build measured 3.4 × apart on two machines of the same kind (one shared and loaded, one quiet). The plain
// character loop below is the yardstick — no project code, no allocation, one core.
const { cpus, loadavg } = require('node:os');

/** Nanoseconds per character of a plain `charCodeAt` loop over 1 MB (best of 5 rounds of 20 passes). */
function loopNsPerChar() {
  const text = 'x'.repeat(1_000_000);
  let best = Infinity;
  let sum = 0;
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    for (let pass = 0; pass < 20; pass++) for (let i = 0; i < text.length; i++) sum += text.charCodeAt(i);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / (20 * text.length));
  }
  if (sum === 0) throw new Error('unreachable: keeps the loop from being optimised away');
  return Number(best.toFixed(2));
}

/** `{cores, loadAverage, loopNsPerChar, node}` — measured before the benchmark starts its own load. */
function machine() {
  return { cores: cpus().length, loadAverage: Number(loadavg()[0].toFixed(2)), loopNsPerChar: loopNsPerChar(), node: process.version };
}

/** One line for the table's heading. */
function describeMachine(m) {
  return `machine: ${m.cores} cores, load average ${m.loadAverage}, plain loop ${m.loopNsPerChar} ns/char (lower is faster), Node ${m.node}`;
}

module.exports = { machine, describeMachine };
