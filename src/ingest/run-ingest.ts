import { buildIngestAuditEvent } from '../audit';
import { FhirError, notFound, unprocessable } from '../errors/fhir-error';
import type { MappingRegistry } from '../mapping/registry';
import type { MatchContext } from '../mapping/types';
import { mergeWithStored } from '../mapping/medtech';
import type { Metrics } from '../ops/metrics';
import type { RegisteredDevice, Store } from '../store/port';
import type { Validator } from '../validation/port';
import { authenticateCertificate, checkCertificateAgrees } from './authenticate-certificate';
import { authenticateDevice } from './authenticate-device';
import type { PresentedCertificate } from './presented-certificate';
import { parseIngestBody } from './parse-ingest-body';
import { processItems, type ItemResult } from './process-items';

/** The ingest limits and token rules, from the validated config. */
export interface IngestSettings {
  /** The bridge's public base + `/ingest`: the `aud` of every device token. */
  ingestAudience: string;
  ingestMaxItems: number;
  ingestMaxDepth: number;
  deviceTokenMaxLifetimeSeconds: number;
  clockToleranceSeconds: number;
}

/** What the ingest core is run with: passed in by each transport, never reached for globally. */
export interface IngestDeps {
  settings: IngestSettings;
  store: Store;
  mappings: MappingRegistry;
  validator: Validator;
  metrics: Metrics;
  /** Clock in epoch ms. */
  now: () => number;
}

/** One ingest request as a transport hands it over (HTTP POST, MQTT PUBLISH). */
export interface IngestRequest {
  /** `Bearer <device JWT>`; undefined: none (then `certificate`, if any, authenticates). */
  authorization: string | undefined;
  /** The connection's mTLS client certificate, when one was presented (src/ingest/presented-certificate.ts). */
  certificate?: PresentedCertificate;
  /** The exact body bytes the token's `body_sha256` binds. */
  body: Buffer;
  contentType: string | undefined;
  /** Named by the path or topic (`/ingest/{mappingId}`); absent: the mappings' match rules pick. */
  mappingId?: string;
  /** What the transport knows for `match` rules (the MQTT topic). */
  match?: MatchContext;
  /** Joins the log line, the audit entry and the answer. */
  requestId: string;
  sourceAddress?: string;
  /** When the request began (`process.hrtime.bigint()`), for the latency histogram. */
  started: bigint;
  /** Told the device id as soon as the signature proved it, so a later refusal is audited under it. */
  onVerified?: (deviceId: string) => void;
  /** Transport refusals that need the proven device (MQTT: the topic names it), before the replay check. */
  authorize?: (device: RegisteredDevice) => void;
  /** Transport refusals after the replay check (HTTP: Content-Encoding). */
  beforeParse?: () => void;
}

/** The answer of an accepted (or replayed) request: the JSON both transports send back. */
export interface IngestSummary {
  status: 'accepted' | 'partially-accepted' | 'replayed';
  items: { received: number; accepted: number; rejected: number };
  resources: { written: number; unchanged: number };
  results: ItemResult[];
}

type Processed = ReturnType<typeof processItems>;

/**
 * The transport-neutral ingest core: authenticate the device → jti replay check → parse → map and validate
 * (processItems) → merge MedTech windows with the stored ones → ONE commit (resources + outbox + jti + audit).
 * HTTP and MQTT run this very function. Resolves to the summary (accepted, partially accepted, replayed — each
 * audited); throws FhirError for a refusal, which the transport answers and audits with
 * {@link auditIngestRefusal}. Anything else thrown (the store failed) is a system error: nothing was committed.
 */
export async function runIngest(deps: IngestDeps, request: IngestRequest): Promise<IngestSummary> {
  const { settings, store, metrics } = deps;
  const auth = await authenticate(deps, request);
  request.authorize?.(auth.device);
  // SECURITY-CASES 43: the same signed request again is acknowledged, and never processed twice. A certificate
  // request has no jti: its resend is processed again and writes nothing new (deterministic identifiers).
  if (auth.jti !== undefined && await store.hasJti(auth.device.id, auth.jti)) return replayed(deps, request, auth.device.id);
  request.beforeParse?.();
  const mappingId = request.mappingId;
  const mappings = deps.mappings.current(); // one set for the whole request, even if a reload swaps it now
  if (mappingId !== undefined && !mappings.some((m) => m.id === mappingId)) {
    throw notFound(`No mapping with id '${mappingId}'`, 'mappingId');
  }
  const items = parseIngestBody(request.body, request.contentType, { maxItems: settings.ingestMaxItems, maxDepth: settings.ingestMaxDepth });
  const processed = processItems(items, { deviceId: auth.device.id, patient: auth.device.patient }, {
    mappings, validator: deps.validator, mappingId, match: request.match,
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
    deviceId: auth.device.id, outcome: 'success', recorded: new Date(deps.now()), requestId: request.requestId,
    sourceAddress: request.sourceAddress, entities: processed.resources.map((r) => `${r.resourceType}/${r.id}`),
  });
  const result = await commitOrReplay(deps, auth, processed, audit);
  if (!result) return replayed(deps, request, auth.device.id);
  metrics.readingsAccepted.inc(processed.accepted);
  metrics.ingestDuration.observe({ outcome: 'accepted' }, Number(process.hrtime.bigint() - request.started) / 1e9);
  return summary(processed, result.written);
}

/** Who sent the request: the device of the token (`jti` set), or of the client certificate when no token came. */
interface Authenticated {
  device: RegisteredDevice;
  jti?: string;
  expiresAt?: number;
}

/**
 * A token, when one is sent, authenticates (exactly as before mTLS); an authorized client certificate on the same
 * connection must then name the same device. Without a token, the certificate does. Neither: the token is missing.
 */
async function authenticate(deps: IngestDeps, request: IngestRequest): Promise<Authenticated> {
  const { settings, store } = deps;
  // A revoked device or a misused credential is refused after it proved who sent it: audit it as that device.
  const byThumbprint = { getDeviceByThumbprint: (t: string) => store.getDeviceByThumbprint(t), onVerified: (device: RegisteredDevice) => request.onVerified?.(device.id) };
  if (request.authorization === undefined && request.certificate !== undefined) {
    return { device: await authenticateCertificate(request.certificate, byThumbprint) };
  }
  const auth = await authenticateDevice(request.authorization, request.body, {
    audience: settings.ingestAudience,
    getDevice: (id) => store.getDevice(id),
    now: deps.now,
    clockToleranceSeconds: settings.clockToleranceSeconds,
    maxLifetimeSeconds: settings.deviceTokenMaxLifetimeSeconds,
    onVerified: byThumbprint.onVerified,
  });
  checkCertificateAgrees(request.certificate, auth.device);
  return auth;
}

/** Answers after the commit: what was accepted, what was written, and each rejected item's outcome. */
function summary(processed: Processed, written: { reference: string; created: boolean }[]): IngestSummary {
  return {
    status: processed.rejected === 0 ? 'accepted' : 'partially-accepted',
    items: { received: processed.results.length, accepted: processed.accepted, rejected: processed.rejected },
    resources: { written: written.filter((w) => w.created).length, unchanged: written.filter((w) => !w.created).length },
    results: processed.results,
  };
}

async function commitOrReplay(deps: IngestDeps, auth: Authenticated, processed: Processed, audit: ReturnType<typeof buildIngestAuditEvent>) {
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

async function replayed(deps: IngestDeps, request: IngestRequest, deviceId: string): Promise<IngestSummary> {
  await deps.store.appendAudit(buildIngestAuditEvent({
    deviceId, outcome: 'success', recorded: new Date(deps.now()),
    requestId: request.requestId, sourceAddress: request.sourceAddress,
    description: 'Replay of an already committed request: acknowledged, not processed again',
  }));
  return { status: 'replayed', items: { received: 0, accepted: 0, rejected: 0 }, resources: { written: 0, unchanged: 0 }, results: [] };
}

/** A refused request, as a transport saw it. */
export interface IngestRefusal {
  /** The proven device, or undefined when the credential did not verify. */
  deviceId?: string;
  code: string;
  status: number;
  requestId: string;
  sourceAddress?: string;
  description?: string;
}

/**
 * The audit entry (and the metric) of a refused ingest request, for every transport. Readings refused one by
 * one were counted by {@link runIngest}; a whole-request refusal counts once here.
 */
export async function auditIngestRefusal(deps: Pick<IngestDeps, 'store' | 'metrics' | 'now'>, refusal: IngestRefusal): Promise<void> {
  if (refusal.code !== 'ERR_INGEST_REJECTED') deps.metrics.readingsRejected.inc({ reason: refusal.code });
  await appendRefusalAudit(deps, refusal);
}

/** The audit entry alone, for a refusal that is not an ingest request (an MQTT SUBSCRIBE, a connection): no metric. */
export async function appendRefusalAudit(deps: Pick<IngestDeps, 'store' | 'now'>, refusal: IngestRefusal): Promise<void> {
  await deps.store.appendAudit(buildIngestAuditEvent({
    deviceId: refusal.deviceId ?? 'unauthenticated', outcome: refusal.status >= 500 ? 'error' : 'failure',
    recorded: new Date(deps.now()), requestId: refusal.requestId, sourceAddress: refusal.sourceAddress,
    errorCode: refusal.code, description: refusal.description,
  }));
}
