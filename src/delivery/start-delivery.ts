import { randomUUID } from 'node:crypto';
import type { Device } from 'fhir/r4';
import type { Logger } from 'pino';
import type { EhrConfig } from '../config';
import type { Metrics } from '../ops/metrics';
import type { ClaimedEntry, DeliveryOutcome, Store } from '../store/port';
import { createCircuitBreaker } from './circuit-breaker';
import type { ClientKey } from './client-key';
import { deliverBatch } from './deliver-batch';
import { createEhrClient } from './ehr-client';
import { DEFAULT_MAX_RESPONSE_BYTES, type FetchLike } from './fetch-bounded';
import { leaseOwnerName } from './lease-owner';
import { createOutboxWorker, type OutboxWorker } from './outbox-worker';
import { createPatientResolver } from './resolve-ehr-patient';
import { createTokenSource } from './token-source';

export interface DeliveryDeps {
  config: EhrConfig;
  key: ClientKey;
  store: Store;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
  random?: () => number;
  fetch?: FetchLike;
}

/**
 * Builds the delivery pipeline from the EHR configuration: token source, EHR client, patient resolver,
 * circuit breaker and outbox worker (not started), with metrics and logs wired in.
 * @example const worker = createDelivery({ config: config.ehr, key, store, metrics, logger }); worker.start();
 */
export function createDelivery(deps: DeliveryDeps): OutboxWorker {
  const { config, metrics, logger } = deps;
  const now = deps.now ?? Date.now;
  const latency = (operation: string, ms: number): void => metrics.ehrLatency.observe({ operation }, ms / 1000);
  const tokens = createTokenSource({
    ehrBaseUrl: config.baseUrl, tokenUrl: config.tokenUrl, clientId: config.clientId, scopes: config.scopes, key: deps.key,
    timeoutMs: config.timeoutMs, fetch: deps.fetch, now, onLatency: (ms) => latency('token', ms),
  });
  const ehr = createEhrClient({ baseUrl: config.baseUrl, tokens, timeoutMs: config.timeoutMs, maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES, fetch: deps.fetch, now, onLatency: latency });
  const resolvePatient = createPatientResolver({ ehr, identifierSystem: config.patientIdentifierSystem, now });
  const breaker = createCircuitBreaker({ threshold: config.breakerThreshold, cooldownMs: config.breakerCooldownMs, maxCooldownMs: config.breakerCooldownMs * 60, now });
  const deliverDeps = {
    ehr, resolvePatient, uuid: randomUUID, now, random: deps.random ?? Math.random,
    readDevice: async (ref: string) => deps.store.read('Device', ref.slice('Device/'.length)) as Promise<Device | undefined>,
    retry: { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs, maxAttempts: config.maxAttempts },
  };
  return createOutboxWorker({
    store: deps.store, breaker, concurrency: config.concurrency, batchSize: config.batchSize, leaseMs: config.leaseMs,
    pollMs: config.pollMs, owner: leaseOwnerName(), now, logger,
    deliver: async (batch) => {
      const result = await deliverBatch(batch, deliverDeps);
      if (result.foreignLocations > 0) logger.warn({ count: result.foreignLocations }, 'EHR answered Locations outside its base URL (ignored)');
      if (result.failure) logger.warn({ code: result.failure.code, reason: result.failure.message, status: result.failure.details.status, entries: batch.length, breaker: breaker.state }, 'EHR delivery failed');
      return result;
    },
    onOutcome: (outcome, batch) => countOutcome(metrics, outcome, batch, now()),
  });
}

function countOutcome(metrics: Metrics, outcome: DeliveryOutcome, batch: readonly ClaimedEntry[], nowMs: number): void {
  const delivered = outcome.delivered ?? [];
  if (delivered.length > 0) metrics.deliveries.inc({ outcome: 'delivered' }, delivered.length);
  if (outcome.retry) metrics.deliveries.inc({ outcome: 'retry' }, outcome.retry.seqs.length);
  if (outcome.dead && outcome.dead.length > 0) metrics.deliveries.inc({ outcome: 'dead' }, outcome.dead.length);
  const created = new Map(batch.map((c) => [c.record.seq, Date.parse(c.record.createdAt)]));
  for (const d of delivered) {
    const at = created.get(d.seq);
    if (at !== undefined) metrics.deliveryLag.observe(Math.max(0, nowMs - at) / 1000);
  }
}
