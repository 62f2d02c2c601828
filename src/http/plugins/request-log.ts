import type { Plugin, Request } from '@hapi/hapi';
import type { Logger } from 'pino';

/**
 * One structured log line per request: id, method, path (never the query string, which may carry an
 * `access_token` — SECURITY-CASES 16), status, duration and the error code. Headers are never logged.
 */
export const requestLogPlugin: Plugin<{ logger: Logger }> = {
  name: 'iomt-request-log',
  register(server, { logger }) {
    server.ext('onRequest', (request, h) => {
      request.app.startedAt = process.hrtime.bigint();
      return h.continue;
    });
    // After the outcomes plugin has turned an error into its OperationOutcome response: set on the Boom
    // before that, the header would be lost with it, and error answers are the ones worth correlating.
    server.ext('onPreResponse', (request, h) => {
      const response = request.response as { header?: (k: string, v: string) => unknown } | null;
      if (response && typeof response.header === 'function') response.header('X-Request-Id', request.info.id);
      return h.continue;
    }, { after: ['iomt-outcomes'] });
    server.events.on('response', (request: Request) => {
      const started = request.app.startedAt ?? process.hrtime.bigint();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const status = (request.response as { statusCode?: number } | null)?.statusCode;
      logger.info({ reqId: request.info.id, method: request.method, path: request.path, status, ms: Math.round(ms * 10) / 10, code: request.app.errorCode }, 'request');
    });
  },
};

declare module '@hapi/hapi' {
  interface RequestApplicationState {
    startedAt?: bigint;
  }
}
