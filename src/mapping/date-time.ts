/**
 * Device timestamps → FHIR dateTime, without I/O and without the process time zone.
 * - An ISO 8601 timestamp with an offset keeps that offset (DESIGN: "keep the device's offset").
 * - One without an offset is wall-clock time in the mapping's IANA zone; its offset comes from Intl (tzdata).
 *   Local times in a DST gap or overlap follow the "compatible" rule of Temporal / java.time:
 *   an overlap takes the earlier instant, a gap moves forward by the gap's length.
 *   See: https://tc39.es/proposal-temporal/docs/zoneddatetime.html#ambiguity-due-to-dst-or-other-time-zone-offset-changes
 * - Epoch seconds/milliseconds are instants and are rendered in UTC (`Z`).
 * FHIR dateTime requires seconds and a zone when a time is given.
 * See: https://hl7.org/fhir/R4/datatypes.html#dateTime
 */

export interface Timestamp {
  /** FHIR dateTime for `effectiveDateTime`, e.g. `2024-05-01T10:15:00+02:00`. */
  readonly effective: string;
  /** The same instant normalised to UTC, e.g. `2024-05-01T08:15:00Z` (used in deterministic identifiers). */
  readonly utc: string;
}

/** Thrown with a reason the caller turns into an OperationOutcome issue. */
export class TimestampError extends Error {
  override readonly name = 'TimestampError';
}

export interface Zone {
  readonly name: string;
  /** Offset from UTC in minutes at the given instant. */
  offsetAt(utcMs: number): number;
}

/** Build a zone from an IANA name. @throws RangeError when Intl does not know the zone. */
export function ianaZone(name: string): Zone {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
    hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
  });
  return Object.freeze({
    name,
    offsetAt(utcMs: number): number {
      const parts: Record<string, string> = {};
      for (const p of format.formatToParts(new Date(utcMs))) parts[p.type] = p.value;
      const year = parts.era === 'BC' || parts.era === 'B' ? 1 - Number(parts.year) : Number(parts.year);
      const wall = utcOf(year, Number(parts.month), Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
      return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / 60000);
    },
  });
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const MAX_MS = 253402300799999; // 9999-12-31T23:59:59.999Z

/** Parse an ISO 8601 date-time. @throws TimestampError */
export function parseIsoTimestamp(text: string, zone: Zone | undefined): Timestamp {
  const m = ISO.exec(text);
  if (!m) throw new TimestampError(`"${text}" is not an ISO 8601 date-time (YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm])`);
  const [, y, mo, d, h, mi, s = '00', frac = '', off] = m as unknown as string[];
  const wall = checkedWall(text, Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s));
  const fraction = frac === '' ? '' : '.' + frac;
  if (off !== undefined) {
    const minutes = parseOffset(text, off);
    const offsetText = off === 'Z' || off === 'z' ? 'Z' : formatOffset(minutes, off.startsWith('-'));
    return { effective: `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}${offsetText}`, utc: utcText(wall - minutes * 60000, frac) };
  }
  if (!zone) throw new TimestampError(`"${text}" has no UTC offset and the mapping declares no timezone`);
  const instant = resolveLocal(wall, zone);
  const offset = zone.offsetAt(instant);
  return { effective: wallText(instant + offset * 60000) + fraction + formatOffset(offset, false), utc: utcText(instant, frac) };
}

/** An epoch number (seconds or milliseconds) as a UTC instant. @throws TimestampError */
export function fromEpoch(value: number, unit: 's' | 'ms'): Timestamp {
  const ms = Math.round(unit === 's' ? value * 1000 : value);
  if (!Number.isFinite(value) || ms < 0 || ms > MAX_MS) throw new TimestampError(`${value} is not an epoch time in ${unit} between 1970 and 9999`);
  const frac = ms % 1000 === 0 ? '' : String(ms % 1000).padStart(3, '0');
  const text = utcText(ms - (ms % 1000), frac);
  return { effective: text, utc: text };
}

function checkedWall(text: string, y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const wall = utcOf(y, mo, d, h, mi, s);
  const back = new Date(wall);
  const ok = y >= 1 && back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
  if (!ok) throw new TimestampError(`"${text}" is not a valid calendar date-time`);
  return wall;
}

function parseOffset(text: string, off: string): number {
  if (off === 'Z' || off === 'z') return 0;
  const digits = off.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  // FHIR dateTime allows offsets from -14:00 to +14:00. See: https://hl7.org/fhir/R4/datatypes.html#dateTime
  if (minutes > 59 || hours * 60 + minutes > 14 * 60) throw new TimestampError(`"${text}" has an invalid UTC offset "${off}"`);
  return (off.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

/** Instant for a wall-clock time in a zone ("compatible" disambiguation, see the module comment). */
function resolveLocal(wall: number, zone: Zone): number {
  const before = zone.offsetAt(wall - 86400000);
  const after = zone.offsetAt(wall + 86400000);
  const valid = [...new Set([before, after])]
    .map((o) => wall - o * 60000)
    .filter((instant) => instant + zone.offsetAt(instant) * 60000 === wall)
    .sort((a, b) => a - b);
  // Overlap: earliest instant. Gap: none valid — use the offset before the transition, which moves forward.
  return valid[0] ?? wall - before * 60000;
}

function utcOf(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d); // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999
  date.setUTCHours(h, mi, s, 0);
  return date.getTime();
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function wallText(ms: number): string {
  const t = new Date(ms);
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
}

function utcText(ms: number, frac: string): string {
  const trimmed = frac.replace(/0+$/, '');
  return wallText(ms) + (trimmed === '' ? '' : '.' + trimmed) + 'Z';
}

function formatOffset(minutes: number, negativeZero: boolean): string {
  const sign = minutes < 0 || (minutes === 0 && negativeZero) ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}
