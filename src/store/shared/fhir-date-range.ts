/**
 * The time range a FHIR date, dateTime or instant stands for, at the precision it is written with:
 * `2024` is the whole year, `2024-01-01` the whole day, `2024-01-01T10:00:00Z` that second,
 * `…T10:00:00.120Z` that hundredth of a second... up to milliseconds. Ranges are [start, end) in epoch ms.
 * Dates without a time (and a time without an offset, which R4 forbids but devices send) are read as UTC.
 * See: https://hl7.org/fhir/R4/search.html#date ("the precision of the stored value is the range").
 */
export interface EpochRange {
  start: number;
  end: number;
}

/** Bounds for an open end of a Period: the limits of an ECMAScript Date. */
export const MIN_EPOCH = -8.64e15;
export const MAX_EPOCH = 8.64e15;

const DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** Range of a FHIR date/dateTime/instant string, or undefined when it is not one. */
export function fhirDateRange(value: string): EpochRange | undefined {
  const m = DATE_TIME.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  if (mo === undefined) return span(utc(year, 0, 1), utc(year + 1, 0, 1));
  const month = Number(mo) - 1;
  if (d === undefined) return span(utc(year, month, 1), utc(year, month + 1, 1));
  const day = Number(d);
  if (h === undefined) return span(utc(year, month, day), utc(year, month, day + 1));
  const offset = offsetMs(tz);
  const start = utc(year, month, day, Number(h), Number(mi), Number(s ?? 0), fractionMs(frac)) - offset;
  return span(start, start + widthMs(s, frac));
}

function span(start: number, end: number): EpochRange | undefined {
  return Number.isFinite(start) && Number.isFinite(end) ? { start, end } : undefined;
}

/** Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not. */
function utc(year: number, month: number, day: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

function offsetMs(tz: string | undefined): number {
  if (tz === undefined || tz === 'Z') return 0;
  const sign = tz.startsWith('-') ? -1 : 1;
  return sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60_000;
}

function fractionMs(frac: string | undefined): number {
  return frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
}

function widthMs(seconds: string | undefined, frac: string | undefined): number {
  if (seconds === undefined) return 60_000;
  if (frac === undefined) return 1000;
  return frac.length >= 3 ? 1 : 10 ** (3 - frac.length);
}
