'use strict';
// Shared plumbing of the benchmarks: child processes that announce their URL, and an autocannon run
// that feeds every request its own pre-signed body (so no request is a replay).
const { spawn } = require('node:child_process');
const autocannon = require('autocannon');

/** Starts a node process and resolves with its URL once it logs a `listening` JSON line. */
function startProcess(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    const onData = (chunk) => {
      buffered += chunk;
      for (const line of buffered.split('\n').slice(0, -1)) {
        try {
          const record = JSON.parse(line);
          if (record.msg === 'listening') {
            child.stdout.off('data', onData);
            child.stdout.resume(); // keep draining the request log
            return resolve({ child, url: record.url });
          }
        } catch { /* not JSON */ }
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`process exited with ${code} before listening`)));
  });
}

function stopProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Runs exactly `requests.length` requests at `connections` concurrency; each request is used once. */
function load(url, path, requests, connections) {
  let next = 0;
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    autocannon({
      url, connections, amount: requests.length, timeout: 30,
      requests: [{
        method: 'POST', path,
        setupRequest: (req) => {
          const r = requests[next++ % requests.length];
          return { ...req, method: 'POST', path, headers: r.headers, body: r.body };
        },
      }],
    }, (error, result) => (error ? reject(error) : resolve({ ...result, wallSeconds: Number(process.hrtime.bigint() - started) / 1e9 })));
  });
}

function summarise(result, readingsPerRequest) {
  const ok = result['2xx'];
  // autocannon's own `duration` is coarse on short runs: use the wall time around the run.
  const seconds = result.wallSeconds;
  return {
    requests: result.requests.sent ?? ok + result.non2xx,
    ok, non2xx: result.non2xx, errors: result.errors,
    requestsPerSecond: Math.round(ok / seconds),
    readingsPerSecond: Math.round((ok * readingsPerRequest) / seconds),
    p50ms: result.latency.p50, p99ms: result.latency.p99,
  };
}

module.exports = { startProcess, stopProcess, load, summarise };
