import type { CodeableConcept, Coding, Observation, ObservationComponent, Period } from 'fhir/r4';
import type { RunIssues } from '../run-issues';
import type { Trace } from '../trace';
import type { FhirTemplate, FhirValue, PeriodInterval } from './fhir-templates';
import { medtechCoding, medtechIdentity, resolvePatient } from './identity';
import type { Measurement } from './normalize';
import { buildSampledData, isDecimalText, windowText } from './sampled-data';

/**
 * MedTech's FHIR stage: measurements are grouped by device, type, patient, encounter and correlation id, then by
 * `periodInterval` window (UTC clock hours / days, or the correlation id), and each group becomes one
 * Observation. Within a group readings with the same time collapse to the latest one.
 * See: https://learn.microsoft.com/azure/healthcare-apis/iot/overview-of-fhir-destination-mapping
 */
export interface BuildContext {
  readonly deviceId: string;
  readonly registryPatient?: string;
  readonly issues: RunIssues;
  readonly trace: Trace;
}

interface Group {
  readonly template: FhirTemplate;
  readonly first: Measurement;
  readonly patientId: string;
  readonly start: number;
  readonly end: number;
  readonly byTime: Map<number, Measurement>;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Window [start, end) of a reading; a single reading is its own instant. */
function windowOf(interval: PeriodInterval, t: number): { start: number; end: number } {
  if (interval === 60) return { start: Math.floor(t / HOUR) * HOUR, end: Math.floor(t / HOUR) * HOUR + HOUR };
  if (interval === 1440) return { start: Math.floor(t / DAY) * DAY, end: Math.floor(t / DAY) * DAY + DAY };
  return { start: t, end: t };
}

export function buildObservations(measurements: readonly Measurement[], templates: ReadonlyMap<string, FhirTemplate>, ctx: BuildContext): Observation[] {
  const groups = new Map<string, Group>();
  for (const m of measurements) {
    const template = templates.get(m.type);
    if (!template) {
      ctx.issues.add('not-supported', `no FHIR mapping template for type "${m.type}" (add a CodeValueFhir template with this typeName)`, m.loc);
      continue;
    }
    const patient = resolvePatient(m.patientId, ctx.registryPatient, m.loc, ctx.issues);
    if (template.periodInterval === -1 && m.correlationId === undefined) {
      ctx.issues.add('required', `type "${m.type}" groups by correlation id (periodInterval -1) but the reading has none`, m.loc);
      continue;
    }
    const w = template.periodInterval === -1 ? { start: 0, end: 0 } : windowOf(template.periodInterval, m.time);
    const key = [m.deviceId, m.type, patient, m.encounterId ?? '', m.correlationId ?? '', w.start].join('\u0000');
    const g = groups.get(key) ?? { template, first: m, patientId: patient.slice('Patient/'.length), start: w.start, end: w.end, byTime: new Map<number, Measurement>() };
    g.byTime.set(m.time, m); // the same occurrence time again: the latest ingestion wins
    groups.set(key, g);
  }
  const out: Observation[] = [];
  for (const g of groups.values()) {
    const obs = observation(g, ctx);
    if (obs) out.push(obs);
  }
  return out;
}

function observation(g: Group, ctx: BuildContext): Observation | undefined {
  const readings = [...g.byTime.values()].sort((a, b) => a.time - b.time);
  const byCorrelation = g.template.periodInterval === -1;
  const start = byCorrelation ? (readings[0] as Measurement).time : g.start;
  const end = byCorrelation ? (readings.at(-1) as Measurement).time : g.end;
  const { id, identifier } = medtechIdentity(g.patientId, g.first.deviceId, g.template.typeName,
    byCorrelation ? { correlationId: g.first.correlationId as string } : { start, end: g.start === g.end ? end : end - 1 });
  const values = (name: string) => readings.flatMap((m) => m.values.filter((v) => v.name === name).map((v) => ({ time: m.time, value: v.value })));
  const window = { start, end, exclusiveEnd: !byCorrelation && g.start !== g.end };
  const before = ctx.issues.list.length;
  const value = g.template.value ? valueOf(g.template.value, values(g.template.value.valueName), window, g, ctx) : undefined;
  const component: ObservationComponent[] = [];
  for (const c of g.template.components) {
    const v = valueOf(c.value, values(c.value.valueName), window, g, ctx);
    if (v) component.push({ code: concept(c.value.valueName, c.codes), ...v });
  }
  if (ctx.issues.list.length > before) return undefined;
  const effectivePeriod: Period = { start: windowText(start), end: windowText(end, window.exclusiveEnd) };
  // Keys in R4 element order, so the same group always gives the same bytes. No `issued`: see docs/mappings.md.
  const obs = { resourceType: 'Observation', id, identifier: [identifier], status: 'final' } as Observation;
  if (g.template.category) obs.category = g.template.category.map((c) => structuredClone(c) as CodeableConcept);
  obs.code = concept(g.template.typeName, g.template.codes);
  obs.subject = { reference: `Patient/${g.patientId}` };
  if (g.first.encounterId) obs.encounter = { reference: `Encounter/${g.first.encounterId}` };
  obs.effectivePeriod = effectivePeriod;
  if (value) Object.assign(obs, value);
  obs.device = { reference: `Device/${ctx.deviceId}` };
  if (component.length > 0) obs.component = component;
  ctx.trace?.push({ step: 'group', at: g.first.loc, value: { type: g.template.typeName, readings: readings.length, periodInterval: g.template.periodInterval, effectivePeriod } });
  return obs;
}

/** MedTech's ResolveCode: the template codings plus `{MedTech system, name}`, text = name. */
function concept(name: string, codes: readonly Coding[]): CodeableConcept {
  return { coding: [...codes.map((c) => ({ ...c })), medtechCoding(name)], text: name };
}

type ValueOut = Pick<Observation, 'valueQuantity' | 'valueSampledData' | 'valueString' | 'valueCodeableConcept'>;

function valueOf(spec: FhirValue, values: Array<{ time: number; value: string }>, window: { start: number; end: number; exclusiveEnd: boolean }, g: Group, ctx: BuildContext): ValueOut | undefined {
  if (values.length === 0) return undefined;
  const where = g.first.loc;
  if (spec.valueType === 'SampledData') {
    const bad = values.find((v) => !isDecimalText(v.value));
    if (bad) {
      ctx.issues.add('value', `"${spec.valueName}" value "${bad.value.slice(0, 40)}" is not a decimal: SampledData.data holds decimals (or E, L, U)`, where);
      return undefined;
    }
    return { valueSampledData: buildSampledData(spec, values, window) };
  }
  if (spec.valueType === 'CodeableConcept') return { valueCodeableConcept: structuredClone(spec.concept) };
  if (values.length > 1) {
    ctx.issues.add('value', `${values.length} "${spec.valueName}" values fall in one Observation (type "${g.template.typeName}", periodInterval ${g.template.periodInterval}) but a ${spec.valueType} holds one: use periodInterval 0 or SampledData`, where);
    return undefined;
  }
  const only = values[0] as { value: string };
  if (spec.valueType === 'String') return { valueString: only.value };
  if (spec.invalidUnit) {
    ctx.issues.add('code-invalid', `type "${g.template.typeName}": ${spec.invalidUnit}`, where);
    return undefined;
  }
  if (!isDecimalText(only.value, false)) {
    ctx.issues.add('value', `"${spec.valueName}" value "${only.value.slice(0, 40)}" is not a number (Quantity)`, where);
    return undefined;
  }
  const q: NonNullable<Observation['valueQuantity']> = { value: Number(only.value) };
  if (spec.unit) q.unit = spec.unit;
  if (spec.system) q.system = spec.system;
  if (spec.code) q.code = spec.code;
  return { valueQuantity: q };
}
