import type { Device, Observation } from 'fhir/r4';
import type { Store } from '../store/port';
import { latestReadings, vitalTrends, waveforms, type Reading, type Trend, type Waveform } from './readings';

/** A device as the ward sees it. */
export interface DeviceSummary {
  id: string;
  model: string;
  manufacturer?: string;
  serial?: string;
  firmware?: string;
  /** Registry status (revoked wins) or the Device resource's status. */
  status: string;
  /** Time of its newest reading for this patient (as written), else when the Device was last updated. */
  lastSeen?: string;
}

export interface UnassignedDevice {
  id: string;
  registeredAt: string;
  model?: string;
}

/** Everything the patient page shows, read from the bridge's own store. */
export interface PatientView {
  /** `Patient/ID`. */
  patient: string;
  devices: DeviceSummary[];
  unassigned: UnassignedDevice[];
  readings: Reading[];
  trends: Trend[];
  waveforms: Waveform[];
  /** Observation ids shown, for the audit entry. */
  observationIds: string[];
}

/** Newest readings considered for the page (a ward view, not an archive). */
const MAX_OBSERVATIONS = 1000;
const MAX_DEVICES = 200;

export async function loadPatientView(store: Store, patient: string): Promise<PatientView> {
  const [devices, observations, registry] = await Promise.all([
    store.searchDevices({ patient: [patient], count: MAX_DEVICES, offset: 0 }),
    store.searchObservations({ subject: [patient], sort: '-date', count: MAX_OBSERVATIONS, offset: 0 }),
    store.listDevices(),
  ]);
  const revoked = new Set(registry.filter((d) => d.status === 'revoked').map((d) => d.id));
  const summaries = devices.resources.map((d) => summarise(d, observations.resources, revoked.has(d.id ?? '')));
  const candidates = registry.filter((d) => d.status === 'active' && d.patient === undefined).slice(0, MAX_DEVICES);
  const unassigned: UnassignedDevice[] = [];
  for (const d of candidates) {
    const stored = (await store.read('Device', d.id)) as Device | undefined;
    // A device whose stored resource already names a patient is not free, whatever its registry row says.
    if (stored?.patient !== undefined) continue;
    unassigned.push({ id: d.id, registeredAt: d.createdAt, ...(stored ? { model: modelOf(stored) } : {}) });
  }
  return {
    patient, devices: summaries, unassigned,
    readings: latestReadings(observations.resources),
    trends: vitalTrends(observations.resources),
    waveforms: waveforms(observations.resources),
    observationIds: observations.resources.map((o) => o.id as string),
  };
}

const modelOf = (d: Device): string => d.modelNumber ?? d.deviceName?.[0]?.name ?? d.type?.text ?? d.type?.coding?.[0]?.display ?? 'Unknown model';

function summarise(d: Device, observations: readonly Observation[], revoked: boolean): DeviceSummary {
  const reference = `Device/${d.id}`;
  const newest = observations.find((o) => o.device?.reference === reference);
  const firmware = d.version?.find((v) => /firmware/i.test(v.type?.text ?? v.type?.coding?.[0]?.code ?? ''))?.value ?? d.version?.[0]?.value;
  const summary: DeviceSummary = {
    id: d.id as string, model: modelOf(d), status: revoked ? 'revoked' : (d.status ?? 'unknown'),
  };
  if (d.manufacturer !== undefined) summary.manufacturer = d.manufacturer;
  if (d.serialNumber !== undefined) summary.serial = d.serialNumber;
  if (firmware !== undefined) summary.firmware = firmware;
  const lastSeen = newest?.effectiveDateTime ?? newest?.effectiveInstant ?? newest?.effectivePeriod?.end ?? d.meta?.lastUpdated;
  if (lastSeen !== undefined) summary.lastSeen = lastSeen;
  return summary;
}
