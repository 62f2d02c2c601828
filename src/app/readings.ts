import type { CodeableConcept, Observation, ObservationComponent, Quantity, SampledData } from 'fhir/r4';

/**
 * What the patient page shows, derived from the patient's Observations (pure): the latest reading per
 * code, trend series of numeric vital signs, and SampledData waveforms.
 */

export interface Reading {
  /** `system|code` of Observation.code. */
  key: string;
  label: string;
  /** Formatted value with unit, e.g. `128/82 mmHg`, `37 °C`. */
  value: string;
  /** Effective time as written (device offset kept). */
  time?: string;
  device?: string;
}

export interface TrendSeries {
  label: string;
  unit: string;
  points: Array<{ t: number; v: number }>;
}

export interface Trend {
  key: string;
  label: string;
  series: TrendSeries[];
}

export interface Waveform {
  label: string;
  unit: string;
  time?: string;
  device?: string;
  /** Milliseconds between samples. */
  periodMs: number;
  /** Sample values in `unit`; `null` for a gap (E, L, U markers). */
  values: Array<number | null>;
}

const VITAL_SIGNS = 'vital-signs';
/** UCUM codes shown the way a ward writes them. */
const UNIT_LABEL: Readonly<Record<string, string>> = { Cel: '°C', '[degF]': '°F', '/min': '/min', '%': '%', 'mm[Hg]': 'mmHg' };

const keyOf = (c: CodeableConcept | undefined): string => {
  const coding = c?.coding?.[0];
  return coding === undefined ? (c?.text ?? '?') : `${coding.system ?? ''}|${coding.code ?? ''}`;
};
export const labelOf = (c: CodeableConcept | undefined): string => c?.text ?? c?.coding?.find((x) => x.display)?.display ?? c?.coding?.[0]?.code ?? 'Unnamed';
export const unitOf = (q: Quantity | undefined): string => UNIT_LABEL[q?.code ?? ''] ?? q?.unit ?? q?.code ?? '';
const timeOf = (o: Observation): string | undefined => o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod?.start ?? o.issued;
const epochOf = (o: Observation): number => {
  const t = timeOf(o);
  return t === undefined ? Number.NaN : Date.parse(t);
};
const num = (q: Quantity | undefined): string => (q?.value === undefined ? '—' : String(q.value));

/** One display value: a quantity, a panel of components (`128/82 mmHg`), a waveform, or text. */
export function formatValue(o: Observation): string {
  if (o.valueQuantity !== undefined) return `${num(o.valueQuantity)} ${unitOf(o.valueQuantity)}`.trim();
  if (o.valueSampledData !== undefined) return 'waveform';
  const parts = (o.component ?? []).filter((c) => c.valueQuantity !== undefined);
  if (parts.length > 0) {
    const units = new Set(parts.map((c) => unitOf(c.valueQuantity)));
    if (units.size === 1) return `${parts.map((c) => num(c.valueQuantity)).join('/')} ${[...units][0]}`.trim();
    return parts.map((c) => `${labelOf(c.code)} ${num(c.valueQuantity)} ${unitOf(c.valueQuantity)}`.trim()).join(', ');
  }
  if ((o.component ?? []).some((c) => c.valueSampledData !== undefined)) return 'waveform';
  return o.valueString ?? o.valueCodeableConcept?.text ?? (o.valueBoolean === undefined ? '—' : String(o.valueBoolean));
}

/** The newest Observation per code, newest first. */
export function latestReadings(observations: readonly Observation[]): Reading[] {
  const seen = new Map<string, Observation>();
  for (const o of [...observations].sort((a, b) => epochOf(b) - epochOf(a))) {
    const key = keyOf(o.code);
    if (!seen.has(key)) seen.set(key, o);
  }
  return [...seen.entries()].map(([key, o]) => ({ key, label: labelOf(o.code), value: formatValue(o), time: timeOf(o), device: o.device?.reference }));
}

const isVital = (o: Observation): boolean => (o.category ?? []).some((c) => c.coding?.some((x) => x.code === VITAL_SIGNS));

/** Numeric vital signs over time, one chart per code (a panel's components are its series), oldest first. */
export function vitalTrends(observations: readonly Observation[], maxPoints = 240): Trend[] {
  const trends = new Map<string, Trend>();
  const sorted = observations.filter(isVital).filter((o) => Number.isFinite(epochOf(o))).sort((a, b) => epochOf(a) - epochOf(b));
  for (const o of sorted) {
    const key = keyOf(o.code);
    const trend = trends.get(key) ?? { key, label: labelOf(o.code), series: [] };
    trends.set(key, trend);
    const parts: Array<{ label: string; q: Quantity | undefined }> = o.valueQuantity !== undefined
      ? [{ label: trend.label, q: o.valueQuantity }]
      : (o.component ?? []).map((c: ObservationComponent) => ({ label: labelOf(c.code), q: c.valueQuantity }));
    for (const { label, q } of parts) {
      if (typeof q?.value !== 'number') continue;
      let series = trend.series.find((s) => s.label === label);
      if (series === undefined) {
        series = { label, unit: unitOf(q), points: [] };
        trend.series.push(series);
      }
      series.points.push({ t: epochOf(o), v: q.value });
    }
  }
  const out = [...trends.values()].filter((t) => t.series.some((s) => s.points.length > 0));
  for (const t of out) for (const s of t.series) s.points = s.points.slice(-maxPoints);
  return out;
}

/** SampledData of the newest `limit` waveform Observations (value or components), newest first. */
export function waveforms(observations: readonly Observation[], limit = 3): Waveform[] {
  const out: Waveform[] = [];
  for (const o of [...observations].sort((a, b) => epochOf(b) - epochOf(a))) {
    const sampled: Array<{ label: string; data: SampledData }> = [];
    if (o.valueSampledData !== undefined) sampled.push({ label: labelOf(o.code), data: o.valueSampledData });
    for (const c of o.component ?? []) if (c.valueSampledData !== undefined) sampled.push({ label: labelOf(c.code), data: c.valueSampledData });
    for (const { label, data } of sampled) {
      if (out.length >= limit) return out;
      out.push({ label, unit: unitOf(data.origin), time: timeOf(o), device: o.device?.reference, periodMs: data.period, values: firstChannel(samples(data), data.dimensions) });
    }
  }
  return out;
}

/** Multi-dimension SampledData interleaves its channels; the view shows the first. */
const firstChannel = (values: Array<number | null>, dimensions: number): Array<number | null> =>
  dimensions > 1 ? values.filter((_, i) => i % dimensions === 0) : values;

/**
 * value = origin + factor × sample; `E` (error), `L`/`U` (below/above detection limit) become gaps.
 * See: https://hl7.org/fhir/R4/datatypes.html#SampledData
 */
export function samples(data: SampledData): Array<number | null> {
  const origin = data.origin.value ?? 0;
  const factor = data.factor ?? 1;
  return (data.data ?? '').trim().split(/\s+/).filter((s) => s !== '').map((s) => {
    const n = Number(s);
    return Number.isFinite(n) ? origin + factor * n : null;
  });
}
