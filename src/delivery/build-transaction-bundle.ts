import type { Bundle, BundleEntry, Device, Identifier, Observation, Reference } from 'fhir/r4';
import { DEVICE_ID_SYSTEM } from '../audit/audit-codes';
import { OBSERVATION_IDENTIFIER_SYSTEM } from '../mapping/observation-identity';

/** One outbox entry to push, with its patient already resolved on the EHR (`Patient/<EHR id>`). */
export interface PushItem {
  seq: number;
  resource: Device | Observation;
  ehrPatient?: string;
}

export interface BuildBundleInput {
  items: readonly PushItem[];
  /**
   * Current Device resources Observations refer to (`Device/id` → resource, EHR patient) when the Device is not
   * itself among the items: it is added as a conditional create so the reference resolves at the EHR.
   */
  referencedDevices: ReadonlyMap<string, { resource: Device; ehrPatient?: string }>;
  /** Fresh UUIDs for `fullUrl` (`crypto.randomUUID` in production; fixed in tests). */
  uuid: () => string;
}

export interface BuiltBundle {
  bundle: Bundle;
  /** For each bundle entry, the outbox seqs it delivers ([] for an added reference target). */
  entrySeqs: number[][];
  /** Items that cannot be pushed idempotently (no identifier to make the create conditional). */
  undeliverable: Array<{ seq: number; reason: string }>;
}

/** Identifier systems preferred for `ifNoneExist`: the deterministic ones this bridge assigns. */
const PREFERRED_SYSTEM: Readonly<Record<string, string>> = { Observation: OBSERVATION_IDENTIFIER_SYSTEM, Device: DEVICE_ID_SYSTEM };

/**
 * A FHIR transaction Bundle: each resource created conditionally on its identifier (`ifNoneExist`), later
 * versions as a conditional update, so a retry or a replay never makes a second resource at the EHR. Bundle
 * entries refer to each other by `urn:uuid` fullUrls (the EHR rewrites them to the ids it assigns, or to the
 * existing resource a conditional create matched). Pure: no I/O.
 * See: https://hl7.org/fhir/R4/http.html#trules and https://hl7.org/fhir/R4/http.html#ccreate
 */
export function buildTransactionBundle(input: BuildBundleInput): BuiltBundle {
  const latest = latestVersions(input.items);
  const undeliverable: BuiltBundle['undeliverable'] = [];
  const devices = new Map<string, { resource: Device; ehrPatient?: string; seqs: number[] }>();
  const observations: Array<{ item: PushItem; seqs: number[] }> = [];
  for (const { item, seqs } of latest) {
    if (identifierFor(item.resource) === undefined) {
      for (const seq of seqs) undeliverable.push({ seq, reason: `${item.resource.resourceType}/${item.resource.id} has no identifier for a conditional create` });
    } else if (item.resource.resourceType === 'Device') {
      devices.set(`Device/${item.resource.id}`, { resource: item.resource, ehrPatient: item.ehrPatient, seqs });
    } else {
      observations.push({ item, seqs });
    }
  }
  for (const { item } of observations) {
    const ref = (item.resource as Observation).device?.reference;
    const target = ref === undefined ? undefined : input.referencedDevices.get(ref);
    if (ref !== undefined && !devices.has(ref) && target && identifierFor(target.resource)) devices.set(ref, { ...target, seqs: [] });
  }
  const entries: BundleEntry[] = [];
  const entrySeqs: number[][] = [];
  const fullUrls = new Map<string, string>();
  for (const [ref, device] of devices) {
    const fullUrl = `urn:uuid:${input.uuid()}`;
    fullUrls.set(ref, fullUrl);
    entries.push(entryOf(fullUrl, pushedDevice(device.resource, device.ehrPatient)));
    entrySeqs.push(device.seqs);
  }
  for (const { item, seqs } of observations) {
    entries.push(entryOf(`urn:uuid:${input.uuid()}`, pushedObservation(item.resource as Observation, item.ehrPatient, fullUrls)));
    entrySeqs.push(seqs);
  }
  return { bundle: { resourceType: 'Bundle', type: 'transaction', entry: entries }, entrySeqs, undeliverable };
}

/** One entry per resource: its newest version in the batch stands for all of its versions there. */
function latestVersions(items: readonly PushItem[]): Array<{ item: PushItem; seqs: number[] }> {
  const byRef = new Map<string, { item: PushItem; seqs: number[] }>();
  for (const item of [...items].sort((a, b) => a.seq - b.seq)) {
    const key = `${item.resource.resourceType}/${item.resource.id}`;
    const seen = byRef.get(key);
    byRef.set(key, { item, seqs: [...(seen?.seqs ?? []), item.seq] });
  }
  return [...byRef.values()];
}

function identifierFor(resource: Device | Observation): Identifier | undefined {
  const usable = (resource.identifier ?? []).filter((i) => typeof i.system === 'string' && typeof i.value === 'string');
  return usable.find((i) => i.system === PREFERRED_SYSTEM[resource.resourceType]) ?? usable[0];
}

function entryOf(fullUrl: string, resource: Device | Observation): BundleEntry {
  const identifier = identifierFor(resource) as Identifier;
  const search = `identifier=${encodeURIComponent(`${identifier.system}|${identifier.value}`)}`;
  const version = Number((resource.meta?.versionId as string | undefined) ?? '1');
  const request: BundleEntry['request'] = version > 1
    ? { method: 'PUT', url: `${resource.resourceType}?${search}` }
    : { method: 'POST', url: resource.resourceType, ifNoneExist: search };
  return { fullUrl, resource: withoutLocalIdentity(resource), request };
}

// The copies below are shallow on purpose: only top-level fields are replaced or dropped, never a nested
// object changed in place, so the caller's resource stays as it was (a deep clone per entry cost more than
// the rest of the bundle).

/** The EHR assigns its own ids and versions; only the declared profiles travel. */
function withoutLocalIdentity<T extends Device | Observation>(resource: T): T {
  const { id: _id, meta, ...rest } = resource;
  const profile = meta?.profile;
  return (profile !== undefined && profile.length > 0 ? { ...rest, meta: { profile: [...profile] } } : rest) as T;
}

function pushedDevice(device: Device, ehrPatient: string | undefined): Device {
  const copy: Device = { ...device };
  if (ehrPatient !== undefined) copy.patient = { reference: ehrPatient };
  else delete copy.patient;
  return copy;
}

function pushedObservation(obs: Observation, ehrPatient: string | undefined, fullUrls: ReadonlyMap<string, string>): Observation {
  const copy: Observation = { ...obs };
  if (ehrPatient !== undefined) copy.subject = { reference: ehrPatient };
  const device = copy.device?.reference;
  if (device !== undefined) {
    const fullUrl = fullUrls.get(device);
    // A local `Device/x` would name some other resource at the EHR: point at the bundle entry, or leave it out.
    if (fullUrl !== undefined) copy.device = { ...(copy.device as Reference), reference: fullUrl };
    else delete copy.device;
  }
  return copy;
}
