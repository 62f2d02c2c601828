import type { Request, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import { buildIngestAuditEvent } from '../../audit';
import { FhirError, notFound, unprocessable } from '../../errors/fhir-error';
import { authenticateDevice, parseIngestBody } from '../../ingest';
import { processItems } from '../../ingest/process-items';
import { mergeWithStored } from '../../mapping/medtech';
import type { HttpDeps } from '../deps';
import { refusalOf } from '../plugins/outcomes';

/** Answers after the commit: what was accepted, what was written, and each rejected item's outcome. */
function summary(processed: ReturnType<typeof processItems>, written: { reference: string; created: boolean }[]) {
  return {
    status: processed.rejected === 0 ? 'accepted' : 'partially-accepted',
    items: { received: processed.results.length, accepted: processed.accepted, rejected: processed.rejected },
    resources: { written: written.filter((w) => w.created).length, unchanged: written.filter((w) => !w.created).length },
    results: processed.results,
  };
}

/** Content-Encoding is refused: decompressing device uploads invites gzip bombs (SECURITY-CASES 23). */
function refuseEncoded(request: Request): void {
  const encoding = request.headers['content-encoding'];
  if (encoding && encoding !== 'identity') {
    throw FhirError.of('ERR_CONTENT_ENCODING', { code: 'not-supported', text: `Content-Encoding '${encoding}' is not accepted` }, { status: 415 });
  }
}

function handler(deps: HttpDeps) {
  const { settings, store, metrics } = deps;
  return async (request: Request, h: ResponseToolkit) => {
    const started = process.hrtime.bigint();
    const raw = (request.payload as Buffer | null) ?? Buffer.alloc(0);
    const auth = await authenticateDevice(request.headers.authorization as string | undefined, raw, {
      audience: settings.ingestAudience,
      getDevice: (id) => store.getDevice(id),
      now: deps.now,
      clockToleranceSeconds: settings.clockToleranceSeconds,
      maxLifetimeSeconds: settings.deviceTokenMaxLifetimeSeconds,
      // A revoked device or a misused token is refused after the signature proved who sent it: audit it as that device.
      onVerified: (device) => { request.app.deviceId = device.id; },
    });
    // SECURITY-CASES 43: the same signed request again is acknowledged, and never processed twice.
    if (await store.hasJti(auth.device.id, auth.jti)) return replayed(request, h, deps);
    refuseEncoded(request);
    const mappingId = request.params.mappingId as string | undefined;
    const mappings = deps.mappings.current(); // one set for the whole request, even if a reload swaps it now
    if (mappingId !== undefined && !mappings.some((m) => m.id === mappingId)) {
      throw notFound(`No mapping with id '${mappingId}'`, 'mappingId');
    }
    const items = parseIngestBody(raw, request.headers['content-type'] as string | undefined, { maxItems: settings.ingestMaxItems, maxDepth: settings.ingestMaxDepth });
    const processed = processItems(items, { deviceId: auth.device.id, patient: auth.device.patient }, {
      mappings, validator: deps.validator, mappingId,
    });
    for (const r of processed.results) if (r.status === 'rejected') metrics.readingsRejected.inc({ reason: r.outcome?.issue[0]?.code ?? 'unknown' });
    if (processed.accepted === 0) {
      throw unprocessable('ERR_INGEST_REJECTED', {
        resourceType: 'OperationOutcome', issue: processed.results.flatMap((r) => r.outcome?.issue ?? []),
      });
    }
    // MedTech windows (hourly/daily SampledData) extend the stored Observation instead of replacing it.
    processed.resources = await mergeWithStored(processed.resources, (id) => store.read('Observation', id));
    const audit = buildIngestAuditEvent({
      deviceId: auth.device.id, outcome: 'success', recorded: new Date(deps.now()), requestId: request.info.id,
      sourceAddress: request.info.remoteAddress, entities: processed.resources.map((r) => `${r.resourceType}/${r.id}`),
    });
    const result = await commitOrReplay(deps, auth, processed, audit);
    if (!result) return replayed(request, h, deps);
    request.app.audited = true;
    metrics.readingsAccepted.inc(processed.accepted);
    metrics.ingestDuration.observe({ outcome: 'accepted' }, Number(process.hrtime.bigint() - started) / 1e9);
    return h.response(summary(processed, result.written)).code(202).type('application/json');
  };
}

async function commitOrReplay(deps: HttpDeps, auth: { device: { id: string }; jti: string; expiresAt: number }, processed: ReturnType<typeof processItems>, audit: ReturnType<typeof buildIngestAuditEvent>) {
  try {
    return await deps.store.commitIngest({
      deviceId: auth.device.id, jti: auth.jti, jtiExpiresAt: auth.expiresAt, resources: processed.resources, audit,
    });
  } catch (error) {
    // A concurrent copy of this very request committed first: same answer as any replay.
    if (error instanceof FhirError && error.code === 'ERR_JTI_REPLAYED') return undefined;
    throw error;
  }
}

async function replayed(request: Request, h: ResponseToolkit, deps: HttpDeps) {
  await deps.store.appendAudit(buildIngestAuditEvent({
    deviceId: request.app.deviceId ?? 'unknown', outcome: 'success', recorded: new Date(deps.now()),
    requestId: request.info.id, sourceAddress: request.info.remoteAddress,
    description: 'Replay of an already committed request: acknowledged, not processed again',
  }));
  request.app.audited = true;
  return h.response({ status: 'replayed', items: { received: 0, accepted: 0, rejected: 0 }, resources: { written: 0, unchanged: 0 }, results: [] })
    .code(202).type('application/json');
}

/** Every refused ingest request leaves an audit entry too — including Hapi's own 413s. */
function auditRefusal(deps: HttpDeps) {
  return async (request: Request, h: ResponseToolkit) => {
    const refusal = refusalOf(request);
    if (request.app.audited || refusal === undefined) return h.continue;
    // Readings refused one by one were counted by the handler; a whole-request refusal counts once.
    if (refusal.code !== 'ERR_INGEST_REJECTED') deps.metrics.readingsRejected.inc({ reason: refusal.code });
    try {
      await deps.store.appendAudit(buildIngestAuditEvent({
        deviceId: request.app.deviceId ?? 'unauthenticated', outcome: refusal.status >= 500 ? 'error' : 'failure',
        recorded: new Date(deps.now()), requestId: request.info.id, sourceAddress: request.info.remoteAddress, errorCode: refusal.code,
      }));
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
