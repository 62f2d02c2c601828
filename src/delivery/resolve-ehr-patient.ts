import { DEVICE_ID_SYSTEM } from '../audit/audit-codes';
import { DeliveryFailure } from './delivery-failure';
import type { EhrClient } from './ehr-client';
import { failureOfStatus } from './ehr-client';
import { localReference } from './ehr-url';
import { parseJsonObject } from './token-source';

export interface PatientResolverOptions {
  ehr: EhrClient;
  /** When set, `Patient/ID` is looked up as `Patient?identifier=<system>|ID`; otherwise ID is the EHR's id. */
  identifierSystem?: string;
  now?: () => number;
  /** How long a found patient is remembered (default 5 minutes); misses are never cached. */
  ttlMs?: number;
}

/**
 * `Patient/<EHR id>` for a bridge patient reference, or undefined when the EHR knows no such patient and the
 * device is not linked to one there either. Transient EHR failures throw (the batch is retried).
 */
export type PatientResolver = (bridgePatient: string | undefined, deviceId: string) => Promise<string | undefined>;

export function createPatientResolver(options: PatientResolverOptions): PatientResolver {
  const now = options.now ?? Date.now;
  const ttl = options.ttlMs ?? 300_000;
  const cache = new Map<string, { ref: string; until: number }>();
  return async (bridgePatient, deviceId) => {
    const key = `${bridgePatient ?? ''}\n${deviceId}`;
    const hit = cache.get(key);
    if (hit && now() < hit.until) return hit.ref;
    const id = bridgePatient?.startsWith('Patient/') ? bridgePatient.slice('Patient/'.length) : undefined;
    const found = (id !== undefined ? await byPatient(options, id) : undefined) ?? (await byDeviceLink(options, deviceId));
    if (found !== undefined) cache.set(key, { ref: found, until: now() + ttl });
    return found;
  };
}

async function byPatient(options: PatientResolverOptions, id: string): Promise<string | undefined> {
  const { ehr } = options;
  if (options.identifierSystem === undefined) {
    const res = await ehr.send('patient', 'GET', `Patient/${encodeURIComponent(id)}`);
    if (res.status === 404 || res.status === 410) return undefined;
    const failure = failureOfStatus(res, Date.now());
    if (failure) throw failure;
    const patient = parseJsonObject(res.text);
    return patient?.resourceType === 'Patient' && patient.id === id ? `Patient/${id}` : undefined;
  }
  const query = `Patient?identifier=${encodeURIComponent(`${options.identifierSystem}|${id}`)}`;
  const matches = await searchMatches(ehr, query, 'Patient');
  return matches.length === 1 ? matches[0] : undefined;
}

/** The patient the EHR's own Device (found by our device identifier) points to. */
async function byDeviceLink(options: PatientResolverOptions, deviceId: string): Promise<string | undefined> {
  const query = `Device?identifier=${encodeURIComponent(`${DEVICE_ID_SYSTEM}|${deviceId}`)}`;
  const res = await options.ehr.send('patient', 'GET', query);
  const failure = failureOfStatus(res, Date.now());
  if (failure) throw failure;
  const devices = entriesOf(res.text, 'Device');
  if (devices.length !== 1) return undefined;
  const reference = (devices[0]?.patient as { reference?: unknown } | undefined)?.reference;
  if (typeof reference !== 'string') return undefined;
  const local = localReference(reference, options.ehr.baseUrl);
  return local?.startsWith('Patient/') ? local : undefined;
}

/** `Type/id` of each match of a search (only the first page: more than one match is already ambiguous). */
async function searchMatches(ehr: EhrClient, query: string, type: string): Promise<string[]> {
  const res = await ehr.send('patient', 'GET', query);
  const failure = failureOfStatus(res, Date.now());
  if (failure) throw failure;
  return entriesOf(res.text, type).map((r) => `${type}/${String(r.id)}`);
}

/** Resources of `type` in a searchset answer with `search.mode` match (or no mode). Paging links are never followed. */
function entriesOf(text: string, type: string): Array<Record<string, unknown>> {
  const bundle = parseJsonObject(text);
  if (bundle?.resourceType !== 'Bundle') {
    throw new DeliveryFailure('ERR_EHR_BAD_RESPONSE', `the EHR answered a ${type} search without a Bundle`, 'retry', { response: text });
  }
  if (!Array.isArray(bundle.entry)) return [];
  return (bundle.entry as Array<{ resource?: Record<string, unknown>; search?: { mode?: string } }>)
    .filter((e) => e.resource?.resourceType === type && typeof e.resource.id === 'string' && (e.search?.mode ?? 'match') === 'match')
    .map((e) => e.resource as Record<string, unknown>);
}
