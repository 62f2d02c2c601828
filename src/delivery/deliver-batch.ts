import type { Device, Observation } from 'fhir/r4';
import type { ClaimedEntry, DeliveryOutcome } from '../store/port';
import { buildDisclosureAuditEvent } from './build-disclosure-audit-event';
import { buildTransactionBundle, type BuiltBundle, type PushItem } from './build-transaction-bundle';
import { DeliveryFailure, isDeliveryFailure } from './delivery-failure';
import { failureOfStatus, type EhrClient } from './ehr-client';
import { readTransactionResponse } from './read-transaction-response';
import type { PatientResolver } from './resolve-ehr-patient';
import { retryDelay } from './retry-policy';

export interface DeliverDeps {
  ehr: EhrClient;
  resolvePatient: PatientResolver;
  /** The current local Device (`Device/id`), for references from Observations. */
  readDevice: (reference: string) => Promise<Device | undefined>;
  uuid: () => string;
  now: () => number;
  random: () => number;
  retry: { baseMs: number; maxMs: number; maxAttempts: number };
}

/** What one batch came to: outcomes to record (one per push, each with its disclosure audit) and signals for the worker. */
export interface BatchResult {
  outcomes: DeliveryOutcome[];
  /** The EHR failed (not the content): feeds the circuit breaker. */
  failure?: DeliveryFailure;
  /** The EHR asked every client to hold off this long (`Retry-After` on 429/503). */
  pauseMs?: number;
  /** In-bundle Locations outside the EHR base (ignored). */
  foreignLocations: number;
}

/**
 * Pushes one claimed batch: patients resolved on the EHR, one transaction Bundle, the answer checked. A
 * transient failure reschedules every entry (or dead-letters those out of attempts); a rejection of a batch of
 * several entries is retried entry by entry, so one bad reading does not take its neighbours to the dead letter.
 */
export async function deliverBatch(claimed: readonly ClaimedEntry[], deps: DeliverDeps): Promise<BatchResult> {
  const prepared = await prepare(claimed, deps).catch((e: unknown) => ({ failure: asFailure(e) }));
  if ('failure' in prepared) return retryAll(claimed, prepared.failure, deps, []);
  const { built, items, dead } = prepared;
  if (built.bundle.entry?.length === 0) return { outcomes: dead.length > 0 ? [{ dead, now: deps.now() }] : [], foreignLocations: 0 };
  const attempt = await push(built, deps);
  const pushed = claimed.filter((c) => items.some((i) => i.seq === c.record.seq));
  if (attempt.failure === undefined) {
    const delivered = built.entrySeqs.flatMap((seqs, i) => seqs.map((seq) => ({ seq, ehrReference: attempt.references[i] })));
    return { outcomes: [{ delivered, dead, now: deps.now(), audit: audit(pushed, 'success', deps) }], foreignLocations: attempt.foreign };
  }
  if (attempt.failure.kind === 'reject' && pushed.length > 1) {
    const split = await deliverOneByOne(pushed, deps);
    split.outcomes.unshift({ dead, now: deps.now(), audit: audit(pushed, 'failure', deps, attempt.failure) });
    return split;
  }
  if (attempt.failure.kind === 'reject') {
    const rejected = pushed.map((c) => ({ seq: c.record.seq, error: attempt.failure.summary, ehrResponse: attempt.failure.details.response }));
    return { outcomes: [{ dead: [...dead, ...rejected], now: deps.now(), audit: audit(pushed, 'failure', deps, attempt.failure) }], foreignLocations: 0 };
  }
  return retryAll(pushed, attempt.failure, deps, dead);
}

interface Prepared {
  built: BuiltBundle;
  items: PushItem[];
  dead: Array<{ seq: number; error: string }>;
}

async function prepare(claimed: readonly ClaimedEntry[], deps: DeliverDeps): Promise<Prepared> {
  const items: PushItem[] = [];
  const dead: Prepared['dead'] = [];
  for (const { record, resource } of claimed) {
    const bridgePatient = patientOf(resource);
    const ehrPatient = bridgePatient === undefined ? undefined : await deps.resolvePatient(bridgePatient, record.deviceId);
    if (resource.resourceType === 'Observation' && ehrPatient === undefined) {
      const error = `ERR_EHR_PATIENT_UNRESOLVED: the EHR has no patient for ${bridgePatient ?? '(none)'} (nor one linked to device ${record.deviceId})`;
      dead.push({ seq: record.seq, error });
    } else {
      items.push({ seq: record.seq, resource, ehrPatient });
    }
  }
  const referencedDevices = new Map<string, { resource: Device; ehrPatient?: string }>();
  for (const item of items) {
    const ref = item.resource.resourceType === 'Observation' ? item.resource.device?.reference : undefined;
    if (ref === undefined || referencedDevices.has(ref)) continue;
    const device = await deps.readDevice(ref);
    const devicePatient = device === undefined ? undefined : patientOf(device);
    const ehrPatient = devicePatient === undefined ? undefined : await deps.resolvePatient(devicePatient, ref.slice('Device/'.length));
    if (device !== undefined) referencedDevices.set(ref, { resource: device, ehrPatient });
  }
  const built = buildTransactionBundle({ items, referencedDevices, uuid: deps.uuid });
  for (const u of built.undeliverable) dead.push({ seq: u.seq, error: `ERR_EHR_UNDELIVERABLE: ${u.reason}` });
  return { built, items: items.filter((i) => !built.undeliverable.some((u) => u.seq === i.seq)), dead };
}

async function push(built: BuiltBundle, deps: DeliverDeps): Promise<{ references: Array<string | undefined>; foreign: number; failure?: undefined } | { failure: DeliveryFailure }> {
  try {
    const res = await deps.ehr.send('transaction', 'POST', '', built.bundle);
    const failure = failureOfStatus(res, deps.now());
    if (failure) return { failure };
    const result = readTransactionResponse(res, built.bundle.entry?.length ?? 0, deps.ehr.baseUrl);
    return { references: result.references, foreign: result.foreignLocations };
  } catch (e) {
    return { failure: asFailure(e) };
  }
}

/** After a rejected batch: each entry alone, in order; a device whose entry hits a transient failure keeps its later entries back too. */
async function deliverOneByOne(entries: readonly ClaimedEntry[], deps: DeliverDeps): Promise<BatchResult> {
  const result: BatchResult = { outcomes: [], foreignLocations: 0 };
  const heldBack = new Map<string, DeliveryFailure>();
  for (const entry of entries) {
    const held = heldBack.get(entry.record.deviceId);
    const one = held ? retryAll([entry], held, deps, []) : await deliverBatch([entry], deps);
    result.outcomes.push(...one.outcomes);
    result.foreignLocations += one.foreignLocations;
    if (one.failure && !held) {
      heldBack.set(entry.record.deviceId, one.failure);
      result.failure = one.failure;
      result.pauseMs = one.pauseMs;
    }
  }
  return result;
}

function retryAll(entries: readonly ClaimedEntry[], failure: DeliveryFailure, deps: DeliverDeps, dead: Prepared['dead']): BatchResult {
  const now = deps.now();
  const attempts = Math.max(0, ...entries.map((e) => e.record.attempts)) + 1;
  const response = failure.details.response;
  const status = failure.details.status;
  const pauseMs = (status === 429 || status === 503) && failure.details.retryAfterMs !== undefined ? failure.details.retryAfterMs : undefined;
  const outcome: DeliveryOutcome = { dead: [...dead], now, audit: audit(entries, 'error', deps, failure) };
  if (attempts >= deps.retry.maxAttempts) {
    const error = `ERR_EHR_RETRIES_EXHAUSTED: ${attempts} attempts; last: ${failure.summary}`;
    outcome.dead?.push(...entries.map((e) => ({ seq: e.record.seq, error, ehrResponse: response })));
  } else {
    const delay = retryDelay(attempts, failure.details.retryAfterMs, { baseMs: deps.retry.baseMs, maxMs: deps.retry.maxMs, random: deps.random });
    outcome.retry = { seqs: entries.map((e) => e.record.seq), nextAttemptAt: now + delay, error: failure.summary, ehrResponse: response };
  }
  return { outcomes: [outcome], failure, pauseMs, foreignLocations: 0 };
}

function audit(entries: readonly ClaimedEntry[], outcome: 'success' | 'failure' | 'error', deps: DeliverDeps, failure?: DeliveryFailure): DeliveryOutcome['audit'] {
  const patients = [...new Set(entries.map((e) => patientOf(e.resource)).filter((p): p is string => p !== undefined))];
  const event = buildDisclosureAuditEvent({
    recipient: deps.ehr.baseUrl, outcome, recorded: new Date(deps.now()), patients,
    entities: entries.map((e) => `${e.record.resourceType}/${e.record.resourceId}`),
    errorCode: failure?.code, description: failure?.message,
  });
  return { event, patients };
}

function patientOf(resource: Device | Observation): string | undefined {
  const ref = resource.resourceType === 'Observation' ? resource.subject?.reference : resource.patient?.reference;
  return ref?.startsWith('Patient/') ? ref : undefined;
}

function asFailure(error: unknown): DeliveryFailure {
  if (isDeliveryFailure(error)) return error;
  // A bug of ours is not the EHR's answer: keep the entries pending (visible in `outbox list`), never lose them.
  return new DeliveryFailure('ERR_EHR_NETWORK', `delivery failed: ${(error as Error).message ?? String(error)}`, 'retry');
}
