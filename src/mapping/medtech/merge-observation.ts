import type { Observation, ObservationComponent, SampledData } from 'fhir/r4';
import { MEDTECH_SYSTEM } from './identity';
import { slotCount, windowText } from './sampled-data';

/**
 * MedTech keeps one Observation per group window and merges later readings into it: the SampledData streams are
 * merged slot by slot (a new reading wins a slot both fill), the period widens when needed, other values are
 * replaced, and a merge that changes anything sets `status: amended`.
 * Used when two items of one request, or a request and the stored resource, produce the same Observation id.
 * Observations that are not MedTech's (no MedTech identifier) are simply replaced by the newer one.
 * See: https://hl7.org/fhir/R4/valueset-observation-status.html
 */
export function mergeObservations(existing: Observation, incoming: Observation): Observation {
  if (incoming.identifier?.[0]?.system !== MEDTECH_SYSTEM || existing.identifier?.[0]?.value !== incoming.identifier[0].value) return incoming;
  const oldWin = windowOf(existing);
  const newWin = windowOf(incoming);
  if (!oldWin || !newWin) return incoming;
  const win = { start: Math.min(oldWin.start, newWin.start), end: Math.max(oldWin.end, newWin.end), exclusiveEnd: oldWin.exclusiveEnd || newWin.exclusiveEnd };
  const merged = structuredClone(incoming);
  merged.effectivePeriod = { start: windowText(win.start), end: windowText(win.end, win.exclusiveEnd) };
  if (existing.valueSampledData && incoming.valueSampledData) {
    merged.valueSampledData = mergeStreams(existing.valueSampledData, oldWin.start, incoming.valueSampledData, newWin.start, win);
  }
  merged.component = mergeComponents(existing.component ?? [], incoming.component ?? [], oldWin.start, newWin.start, win);
  if (merged.component.length === 0) delete merged.component;
  // Store bookkeeping (meta.versionId, lastUpdated) and status do not count as a change.
  if (canonical({ ...merged, meta: undefined, status: undefined }) === canonical({ ...existing, meta: undefined, status: undefined })) return existing;
  merged.status = 'amended';
  return merged;
}

interface Window {
  start: number;
  end: number;
  exclusiveEnd: boolean;
}

function windowOf(o: Observation): Window | undefined {
  const { start, end } = o.effectivePeriod ?? {};
  if (!start || !end) return undefined;
  const exclusiveEnd = end.endsWith('.9999999Z');
  return { start: Date.parse(start), end: exclusiveEnd ? Date.parse(end.replace('.9999999Z', '.999Z')) + 1 : Date.parse(end), exclusiveEnd };
}

const medtechName = (c: ObservationComponent): string | undefined => c.code.coding?.find((x) => x.system === MEDTECH_SYSTEM)?.code;

function mergeComponents(old: ObservationComponent[], fresh: ObservationComponent[], oldStart: number, newStart: number, win: Window): ObservationComponent[] {
  const out = old.map((c) => structuredClone(c));
  for (const c of fresh) {
    const i = out.findIndex((o) => medtechName(o) === medtechName(c));
    const prev = out[i];
    if (!prev) out.push(structuredClone(c));
    else if (prev.valueSampledData && c.valueSampledData) out[i] = { ...structuredClone(c), valueSampledData: mergeStreams(prev.valueSampledData, oldStart, c.valueSampledData, newStart, win) };
    else out[i] = structuredClone(c);
  }
  return out;
}

/** Both streams as (time, value) pairs, the new one last so that it wins a slot; rebuilt over the merged window. */
function mergeStreams(old: SampledData, oldStart: number, fresh: SampledData, newStart: number, win: Window): SampledData {
  const period = fresh.period;
  const pairs = [...timeValues(old, oldStart), ...timeValues(fresh, newStart)];
  const slots = new Array<string>(slotCount(win, period)).fill('E');
  for (const p of pairs) {
    const i = Math.floor((p.time - win.start) / period);
    if (i >= 0 && i < slots.length) slots[i] = p.value;
  }
  return { ...structuredClone(fresh), data: slots.join(' ') };
}

function timeValues(sd: SampledData, start: number): Array<{ time: number; value: string }> {
  return (sd.data ?? '').split(' ').flatMap((value, i) => (value === 'E' || value === '' ? [] : [{ time: start + i * sd.period, value }]));
}

/** JSON with sorted keys, undefined members dropped: equality regardless of key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Merge each MedTech Observation with the stored version of the same id (read through `read`), so a second
 * message of the same hour extends the hour's stream instead of replacing it. Other resources pass through.
 */
export async function mergeWithStored<T extends { resourceType: string; id?: string }>(resources: T[], read: (id: string) => Promise<unknown>): Promise<T[]> {
  return Promise.all(resources.map(async (r) => {
    const obs = r as unknown as Observation;
    if (r.resourceType !== 'Observation' || obs.identifier?.[0]?.system !== MEDTECH_SYSTEM || !r.id) return r;
    const stored = (await read(r.id)) as Observation | undefined;
    return (stored ? mergeObservations(stored, obs) : obs) as unknown as T;
  }));
}
