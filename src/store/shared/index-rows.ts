import type { CodeableConcept, Device, Observation } from 'fhir/r4';
import { fhirDateRange, MAX_EPOCH, MIN_EPOCH, type EpochRange } from './fhir-date-range';

/**
 * Search index rows derived from a resource (pure). Only the parameters the store searches are extracted.
 * See: https://hl7.org/fhir/R4/observation.html#search and https://hl7.org/fhir/R4/device.html#search
 */

export interface TokenRow {
  param: 'code' | 'category' | 'identifier';
  /** '' when the coding/identifier has no system. */
  system: string;
  code: string;
}

export interface ObservationRow {
  subject: string | null;
  device: string | null;
  start: number | null;
  end: number | null;
}

export interface DeviceRow {
  patient: string | null;
}

export function observationRow(observation: Observation): ObservationRow {
  const range = effectiveRange(observation);
  return {
    subject: observation.subject?.reference ?? null,
    device: observation.device?.reference ?? null,
    start: range?.start ?? null,
    end: range?.end ?? null,
  };
}

/**
 * `date` covers effective[x]: dateTime and instant by their precision; a Period from the start of its
 * start to the end of its end, an absent bound being open. Timing is not indexed.
 */
export function effectiveRange(observation: Observation): EpochRange | undefined {
  const point = observation.effectiveDateTime ?? observation.effectiveInstant;
  if (point !== undefined) return fhirDateRange(point);
  const period = observation.effectivePeriod;
  if (period === undefined || (period.start === undefined && period.end === undefined)) return undefined;
  const start = period.start === undefined ? MIN_EPOCH : fhirDateRange(period.start)?.start;
  const end = period.end === undefined ? MAX_EPOCH : fhirDateRange(period.end)?.end;
  return start === undefined || end === undefined ? undefined : { start, end };
}

export function observationTokens(observation: Observation): TokenRow[] {
  return [
    ...codingTokens('code', [observation.code]),
    ...codingTokens('category', observation.category ?? []),
  ];
}

export function deviceRow(device: Device): DeviceRow {
  return { patient: device.patient?.reference ?? null };
}

export function deviceTokens(device: Device): TokenRow[] {
  const rows: TokenRow[] = [];
  for (const identifier of device.identifier ?? []) {
    if (identifier.value !== undefined) rows.push({ param: 'identifier', system: identifier.system ?? '', code: identifier.value });
  }
  return rows;
}

function codingTokens(param: TokenRow['param'], concepts: readonly CodeableConcept[]): TokenRow[] {
  const rows: TokenRow[] = [];
  for (const concept of concepts) {
    for (const coding of concept.coding ?? []) {
      if (coding.code !== undefined) rows.push({ param, system: coding.system ?? '', code: coding.code });
    }
  }
  return rows;
}
