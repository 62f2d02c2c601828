import type { ElementDefinition } from 'fhir/r4';
import { convertUcum } from './ucum';

/**
 * minValue[x] / maxValue[x]: numbers, Quantities (converted through UCUM when the units differ), dates and
 * times, and a Duration limit on a date (relative to now: at least `now - d`, at most `now + d`).
 * See: https://hl7.org/fhir/R4/elementdefinition-definitions.html#ElementDefinition.minValue_x_
 */
export interface ValueLimit {
  /** Datatype of the limit (`Quantity`, `Integer`, `Date`, `Duration` …), from the property name. */
  readonly kind: string;
  readonly value: unknown;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The minValue[x] and maxValue[x] an ElementDefinition declares. */
export function valueLimits(el: ElementDefinition): { min?: ValueLimit; max?: ValueLimit } {
  const out: { min?: ValueLimit; max?: ValueLimit } = {};
  for (const [k, v] of Object.entries(el)) {
    if (k.startsWith('minValue')) out.min = { kind: k.slice(8), value: v };
    else if (k.startsWith('maxValue')) out.max = { kind: k.slice(8), value: v };
  }
  return out;
}

/**
 * Sign of (instance − limit): negative below, positive above; undefined when the two cannot be compared
 * (different dimensions, unparseable dates) — then no issue is raised rather than a guess.
 */
export function compareToLimit(value: unknown, limit: ValueLimit, side: 'min' | 'max', now: number): number | undefined {
  if (typeof value === 'number' && typeof limit.value === 'number') return value - limit.value;
  if (typeof value === 'string') return compareTime(value, limit, side, now);
  if (isObject(value) && isObject(limit.value) && typeof value.value === 'number' && typeof limit.value.value === 'number') {
    const from = typeof value.code === 'string' ? value.code : undefined;
    const to = typeof limit.value.code === 'string' ? limit.value.code : undefined;
    if (from === to) return value.value - limit.value.value;
    if (from === undefined || to === undefined) return undefined;
    const converted = convertUcum(value.value, from, to);
    return converted === undefined ? undefined : converted - limit.value.value;
  }
  return undefined;
}

function compareTime(value: string, limit: ValueLimit, side: 'min' | 'max', now: number): number | undefined {
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  if (typeof limit.value === 'string') {
    const bound = Date.parse(limit.value);
    return Number.isNaN(bound) ? undefined : at - bound;
  }
  if (limit.kind !== 'Duration' || !isObject(limit.value) || typeof limit.value.value !== 'number' || typeof limit.value.code !== 'string') return undefined;
  const seconds = convertUcum(limit.value.value, limit.value.code, 's');
  if (seconds === undefined) return undefined;
  return at - (side === 'min' ? now - seconds * 1000 : now + seconds * 1000);
}

/** How a value reads in an issue text: `11000 g`, `2100-01-01`, `-1`. */
export function showValue(v: unknown): string {
  if (isObject(v)) return [v.value, v.code ?? v.unit].filter((x) => x !== undefined).map(String).join(' ');
  return String(v);
}
