import type { DateBound } from '../store/port';
import { invalidParameter, unsupportedParameter } from './search-errors';

/**
 * One value of a `date` search parameter → prefix + the implied range [start, end) in epoch ms.
 * The range is that of the value's precision: `2024` is the whole year, `2024-03-01T10:00` the whole minute.
 * See: https://hl7.org/fhir/R4/search.html#date and https://hl7.org/fhir/R4/search.html#prefix
 *
 * Time zone: FHIR leaves a value without offset to the server's zone; we take UTC for dates and for times
 * without offset, so that results do not depend on where the server runs (stated in the CapabilityStatement).
 * A space in the offset position is read as `+` (an unencoded `+` in a URL query arrives as a space).
 */
export function parseDateParam(value: string, name = 'date'): DateBound {
  const match = DATE_VALUE.exec(value);
  if (match === null) throw invalidParameter(name, `'${value}' is not a FHIR date or dateTime with optional prefix`);
  const [, prefixText, year, month, day, hour, minute, second, fraction, offset] = match;
  const prefix = (prefixText ?? 'eq') as DateBound['prefix'];
  if (prefix === 'sa' || prefix === 'eb' || prefix === 'ap') {
    throw unsupportedParameter(name, `Prefix '${prefix}' is not supported for '${name}'`);
  }
  const parts: DateParts = {
    year: Number(year),
    month: month === undefined ? undefined : Number(month),
    day: day === undefined ? undefined : Number(day),
    hour: hour === undefined ? undefined : Number(hour),
    minute: minute === undefined ? undefined : Number(minute),
    second: second === undefined ? undefined : Number(second),
    fraction,
  };
  const range = rangeOf(parts, value, name);
  const shift = offset === undefined ? 0 : offsetMs(offset, value, name);
  return { prefix, start: range.start - shift, end: range.end - shift };
}

const DATE_VALUE = new RegExp(
  '^(eq|ne|gt|lt|ge|le|sa|eb|ap)?' +
    '(\\d{4})(?:-(\\d{2})(?:-(\\d{2})' +
    '(?:T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?' +
    '(Z|[+\\- ]\\d{2}:\\d{2})?)?)?)?$',
);

interface DateParts {
  year: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  fraction?: string;
}

/** Start and end (exclusive) in UTC, before applying the offset. */
function rangeOf(p: DateParts, value: string, name: string): { start: number; end: number } {
  const month = (p.month ?? 1) - 1;
  const day = p.day ?? 1;
  const fractionMs = p.fraction === undefined ? 0 : Math.floor(Number(`0.${p.fraction}`) * 1000);
  const start = utc(p.year, month, day, p.hour ?? 0, p.minute ?? 0, p.second ?? 0, fractionMs);
  const check = new Date(start);
  const valid =
    p.year >= 1 &&
    check.getUTCFullYear() === p.year &&
    check.getUTCMonth() === month &&
    check.getUTCDate() === day &&
    check.getUTCHours() === (p.hour ?? 0) &&
    check.getUTCMinutes() === (p.minute ?? 0) &&
    check.getUTCSeconds() === (p.second ?? 0);
  if (!valid) throw invalidParameter(name, `'${value}' is not a valid date`);
  if (p.month === undefined) return { start, end: utc(p.year + 1, 0, 1, 0, 0, 0, 0) };
  if (p.day === undefined) return { start, end: utc(p.year, month + 1, 1, 0, 0, 0, 0) };
  if (p.hour === undefined) return { start, end: utc(p.year, month, day + 1, 0, 0, 0, 0) };
  if (p.second === undefined) return { start, end: start + 60_000 };
  if (p.fraction === undefined) return { start, end: start + 1000 };
  return { start, end: start + Math.max(1, 10 ** (3 - p.fraction.length)) };
}

/** Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not. */
function utc(year: number, month: number, day: number, h: number, m: number, s: number, ms: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(h, m, s, ms);
  return date.getTime();
}

/** `Z`, `+hh:mm`, `-hh:mm` → milliseconds east of UTC. */
function offsetMs(offset: string, value: string, name: string): number {
  if (offset === 'Z') return 0;
  const hours = Number(offset.slice(1, 3));
  const minutes = Number(offset.slice(4, 6));
  if (hours > 14 || minutes > 59) throw invalidParameter(name, `'${value}' has an invalid time-zone offset`);
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (hours * 60 + minutes) * 60_000;
}
