import type { Request, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import { FhirError } from '../../errors/fhir-error';
import { presentedCertificate } from '../../ingest/presented-certificate';
import { auditIngestRefusal, runIngest } from '../../ingest/run-ingest';
import type { HttpDeps } from '../deps';
import { refusalOf } from '../plugins/outcomes';

/** Content-Encoding is refused: decompressing device uploads invites gzip bombs (SECURITY-CASES 23). */
function refuseEncoded(request: Request): void {
  const encoding = request.headers['content-encoding'];
  if (encoding && encoding !== 'identity') {
    throw FhirError.of('ERR_CONTENT_ENCODING', { code: 'not-supported', text: `Content-Encoding '${encoding}' is not accepted` }, { status: 415 });
  }
}

/** The HTTP face of the shared ingest core (src/ingest/run-ingest.ts): request in, 202 + summary out. */
function handler(deps: HttpDeps) {
  return async (request: Request, h: ResponseToolkit) => {
    const answer = await runIngest(deps, {
      authorization: request.headers.authorization as string | undefined,
      // IOMT_TLS_CLIENT_CA_FILE: the connection's client certificate (Node verified it at the handshake).
      certificate: presentedCertificate(request.raw.req.socket),
      body: (request.payload as Buffer | null) ?? Buffer.alloc(0),
      contentType: request.headers['content-type'] as string | undefined,
      mappingId: request.params.mappingId as string | undefined,
      requestId: request.info.id,
      sourceAddress: request.info.remoteAddress,
      started: process.hrtime.bigint(),
      onVerified: (deviceId) => { request.app.deviceId = deviceId; },
      beforeParse: () => refuseEncoded(request),
    });
    request.app.audited = true;
    return h.response(answer).code(202).type('application/json');
  };
}

/** Every refused ingest request leaves an audit entry too — including Hapi's own 413s. */
function auditRefusal(deps: HttpDeps) {
  return async (request: Request, h: ResponseToolkit) => {
    const refusal = refusalOf(request);
    if (request.app.audited || refusal === undefined) return h.continue;
    try {
      await auditIngestRefusal(deps, {
        deviceId: request.app.deviceId, code: refusal.code, status: refusal.status,
        requestId: request.info.id, sourceAddress: request.info.remoteAddress,
      });
      request.app.audited = true;
    } catch (err) {
      // Runs after the outcomes plugin: throwing would replace the OperationOutcome with Hapi's plain 500.
      deps.logger.error({ err, reqId: request.info.id, code: refusal.code }, 'audit entry for a refused request could not be written');
    }
    return h.continue;
  };
}

export function ingestRoutes(deps: HttpDeps): ServerRoute[] {
  const options: ServerRoute['options'] = {
    // The raw bytes are needed: the device token binds their SHA-256, and our own strict parser runs on them.
    payload: { parse: false, output: 'data', maxBytes: deps.settings.ingestMaxBytes, timeout: 10_000 },
    ext: { onPreResponse: { method: auditRefusal(deps) } },
  };
  return [
    { method: 'POST', path: '/ingest', options, handler: handler(deps) },
    { method: 'POST', path: '/ingest/{mappingId}', options, handler: handler(deps) },
  ];
}

declare module '@hapi/hapi' {
  interface RequestApplicationState {
    deviceId?: string;
    audited?: boolean;
  }
}
