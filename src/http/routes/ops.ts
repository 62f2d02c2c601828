import type { ServerRoute } from '@hapi/hapi';
import type { HttpDeps } from '../deps';

/** Liveness, readiness (the store answers) and Prometheus metrics. */
export function opsRoutes(deps: HttpDeps): ServerRoute[] {
  return [
    { method: 'GET', path: '/health/live', options: { auth: false }, handler: () => ({ status: 'pass' }) },
    {
      method: 'GET', path: '/health/ready', options: { auth: false },
      async handler(_request, h) {
        const ok = await deps.store.ping().catch(() => false);
        return h.response({ status: ok ? 'pass' : 'fail', checks: { store: ok ? 'pass' : 'fail' } }).code(ok ? 200 : 503);
      },
    },
    {
      method: 'GET', path: '/metrics', options: { auth: false },
      async handler(_request, h) {
        return h.response(await deps.metrics.registry.metrics()).type(deps.metrics.registry.contentType);
      },
    },
  ];
}
