import Hapi from '@hapi/hapi';
import { appPlugin } from '../app';
import type { HttpDeps } from './deps';
import { outcomesPlugin } from './plugins/outcomes';
import { requestLogPlugin } from './plugins/request-log';
import { smartAuthPlugin } from './plugins/smart-auth';
import { adminOutboxRoutes } from './routes/admin-outbox';
import { clientJwksRoutes } from './routes/client-jwks';
import { fhirRoutes } from './routes/fhir';
import { ingestRoutes } from './routes/ingest';
import { mappingsRoutes } from './routes/mappings';
import { opsRoutes } from './routes/ops';
import { smartConfigurationRoutes } from './routes/smart-configuration';
import { validateRoutes } from './routes/validate';

/**
 * Builds (does not start) the Hapi server from its dependencies. Tests call `server.inject`; the
 * composition root (src/main.ts) calls `server.start()`.
 */
export async function createServer(deps: HttpDeps): Promise<Hapi.Server> {
  const server = Hapi.server({
    host: deps.settings.host,
    port: deps.settings.port,
    // SECURITY-CASES 28: TLS 1.3 only (minVersion; the maximum is 1.3 already). Copied: Hapi keeps the object.
    ...(deps.tls ? { tls: { ...deps.tls } } : {}),
    routes: {
      // SECURITY-CASES 31: Hapi's own JSON parser refuses __proto__ (ingest uses our stricter parser).
      payload: { protoAction: 'error' },
      // No CORS on authenticated routes (SECURITY-CASES 28); the SMART app (issue 5) opts in per route.
      cors: false,
      // HSTS only when this listener is HTTPS (RFC 6797 §7.2: not sent over plain HTTP); one year, no includeSubDomains
      // (the bridge cannot know what else runs under its host's subdomains).
      security: { hsts: deps.tls ? { maxAge: 31_536_000, includeSubDomains: false } : false, xframe: 'deny', noSniff: true, referrer: 'no-referrer' },
    },
    router: { stripTrailingSlash: true },
  });
  if (deps.tls) closeFailedHandshakes(server, deps.logger);
  await server.register([
    { plugin: requestLogPlugin, options: { logger: deps.logger } },
    { plugin: outcomesPlugin, options: { logger: deps.logger } },
    { plugin: smartAuthPlugin, options: { verify: deps.verifyAccessToken } },
  ]);
  server.route([...ingestRoutes(deps), ...fhirRoutes(deps), ...opsRoutes(deps)]);
  server.route([...adminOutboxRoutes(deps), ...clientJwksRoutes(deps)]);
  server.route(smartConfigurationRoutes(deps));
  if (deps.app) await server.register({ plugin: appPlugin, options: { ...deps.app, publicUrl: () => deps.settings.publicUrl, store: deps.store, logger: deps.logger, now: deps.now } });
  server.route(validateRoutes(deps));
  server.route(mappingsRoutes(deps));
  return server;
}

/**
 * A client that does not finish its TLS handshake within `handshakeTimeout` (IOMT_TLS_HANDSHAKE_TIMEOUT_MS), or
 * fails it, is reported on 'tlsClientError' — and node:tls leaves that socket open unless it is destroyed here.
 * See: https://nodejs.org/docs/latest-v20.x/api/tls.html#event-tlsclienterror
 */
function closeFailedHandshakes(server: Hapi.Server, logger: HttpDeps['logger']): void {
  server.listener.on('tlsClientError', (error: NodeJS.ErrnoException, socket: { remoteAddress?: string; destroy: () => void }) => {
    logger.warn({ address: socket.remoteAddress, code: error.code, reason: error.message.slice(0, 200) }, 'https tls handshake refused');
    socket.destroy();
  });
}
