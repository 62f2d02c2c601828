'use strict';
// Where the shared reference data lives, for the benchmarks and the tests (test/support/anchors.ts uses this one):
// IOMT_ANCHORS_DIR, then ../shared/anchors beside this clone, then /work/shared/anchors. Missing is an error.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

function anchorsDir() {
  const candidates = [process.env.IOMT_ANCHORS_DIR, join(__dirname, '..', '..', 'shared', 'anchors'), '/work/shared/anchors'];
  const found = candidates.find((dir) => typeof dir === 'string' && existsSync(join(dir, 'medtech')));
  if (!found) throw new Error(`shared anchors not found (tried ${candidates.filter(Boolean).join(', ')}); set IOMT_ANCHORS_DIR`);
  return found;
}

module.exports = { anchorsDir, anchor: (...parts) => join(anchorsDir(), ...parts) };
