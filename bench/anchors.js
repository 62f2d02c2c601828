'use strict';
// Where the shared reference data lives (see test/support/anchors.ts): IOMT_ANCHORS_DIR, ../shared/anchors, /work/shared/anchors.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

function anchorsDir() {
  const candidates = [process.env.IOMT_ANCHORS_DIR, join(__dirname, '..', '..', 'shared', 'anchors'), '/work/shared/anchors'];
  const found = candidates.find((dir) => typeof dir === 'string' && existsSync(join(dir, 'medtech')));
  if (!found) throw new Error(`shared anchors not found (tried ${candidates.filter(Boolean).join(', ')}); set IOMT_ANCHORS_DIR`);
  return found;
}

module.exports = { anchorsDir, anchor: (...parts) => join(anchorsDir(), ...parts) };
