'use strict';
// The peer of bench:ingest: a bare Hapi 21 route that reads the same raw body and answers 202 —
// what any HTTP ingest costs before authentication, mapping, validation and a durable commit.
const Hapi = require('@hapi/hapi');

async function start() {
  const server = Hapi.server({ host: '127.0.0.1', port: 0 });
  server.route({
    method: 'POST', path: '/ingest',
    options: { payload: { parse: false, output: 'data', maxBytes: 1048576 } },
    handler: (request, h) => h.response({ status: 'accepted', bytes: request.payload.length }).code(202),
  });
  await server.start();
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: server.info.uri })}\n`);
  process.once('SIGTERM', () => server.stop().then(() => process.exit(0)));
}
start();
