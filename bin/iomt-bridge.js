#!/usr/bin/env node
'use strict';
// The `iomt-bridge` command: runs the compiled CLI (npm install builds dist/ through `prepare`).
require('../dist/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`iomt-bridge: ${err && err.message ? err.message : err}\n`); process.exitCode = 1; },
);
