import type { SampledData } from 'fhir/r4';
import type { FhirValue } from './fhir-templates';

/**
 * MedTech's SampledData: origin 0 in the template's unit, period = defaultPeriod (ms), one dimension, and one
 * slot per period across the Observation's window holding the last reading that falls in it, `E` where none.
 * See: https://hl7.org/fhir/R4/datatypes.html#SampledData
 */

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** A FHIR decimal (leading zeros and `+` are not); with `tokens`, also E, L and U. */
export function isDecimalText(v: string, tokens = true): boolean {
  return DECIMAL.test(v) || (tokens && (v === 'E' || v === 'L' || v === 'U'));
}

/**
 * UTC text of a window bound. An exclusive end is written the way MedTech does, one tick (100 ns) before the
 * next window: `…T10:59:59.9999999Z`.
 */
export function windowText(ms: number, exclusiveEnd = false): string {
  if (!exclusiveEnd) return new Date(ms).toISOString().replace('.000Z', 'Z');
  return new Date(ms - 1000).toISOString().replace(/\.\d{3}Z$/, '.9999999Z');
}

/** Number of slots: the window length in periods (a closed window counts its last instant too). */
export function slotCount(window: { start: number; end: number; exclusiveEnd: boolean }, period: number): number {
  const span = window.end - window.start;
  return window.exclusiveEnd ? Math.ceil(span / period) : Math.floor(span / period) + 1;
}

export function buildSampledData(spec: FhirValue & { valueType: 'SampledData' }, values: ReadonlyArray<{ time: number; value: string }>, window: { start: number; end: number; exclusiveEnd: boolean }): SampledData {
  const slots = new Array<string>(slotCount(window, spec.defaultPeriod)).fill('E');
  for (const v of values) {
    const i = Math.floor((v.time - window.start) / spec.defaultPeriod);
    if (i >= 0 && i < slots.length) slots[i] = v.value; // sorted by time: the last reading of a slot wins
  }
  const origin: SampledData['origin'] = { value: 0 };
  // An empty unit ("unit": "" in several MedTech samples) is left out: FHIR strings cannot be empty.
  if (spec.unit) origin.unit = spec.unit;
  return { origin, period: spec.defaultPeriod, dimensions: 1, data: slots.join(' ') };
}
