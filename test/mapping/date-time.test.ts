import { fromEpoch, ianaZone, parseIsoTimestamp, TimestampError } from '../../src/mapping/date-time';

const berlin = ianaZone('Europe/Berlin');
const newYork = ianaZone('America/New_York');

describe('parseIsoTimestamp', () => {
  it.each([
    // offset sent by the device is kept as sent (normalised to ±hh:mm), the zone is ignored
    ['2024-05-14T09:30:00+02:00', '2024-05-14T09:30:00+02:00', '2024-05-14T07:30:00Z'],
    ['2024-05-14T09:30:00+0530', '2024-05-14T09:30:00+05:30', '2024-05-14T04:00:00Z'],
    ['2024-05-14T09:30:00-03', '2024-05-14T09:30:00-03:00', '2024-05-14T12:30:00Z'],
    ['2024-05-14T09:30:00Z', '2024-05-14T09:30:00Z', '2024-05-14T09:30:00Z'],
    ['2024-05-14T09:30:00-00:00', '2024-05-14T09:30:00-00:00', '2024-05-14T09:30:00Z'],
    ['2024-05-14T09:30Z', '2024-05-14T09:30:00Z', '2024-05-14T09:30:00Z'], // seconds added: FHIR requires them
    ['2024-05-14T09:30:00.120+02:00', '2024-05-14T09:30:00.120+02:00', '2024-05-14T07:30:00.12Z'],
    ['2024-05-14T09:30:00,5+02:00', '2024-05-14T09:30:00.5+02:00', '2024-05-14T07:30:00.5Z'],
    ['2024-05-14T00:30:00+02:00', '2024-05-14T00:30:00+02:00', '2024-05-13T22:30:00Z'], // day rolls back
    // no offset: the mapping zone applies
    ['2024-01-15T07:05:30', '2024-01-15T07:05:30+01:00', '2024-01-15T06:05:30Z'], // CET
    ['2024-07-15T07:05:30', '2024-07-15T07:05:30+02:00', '2024-07-15T05:05:30Z'], // CEST
    ['2024-07-15 07:05:30.25', '2024-07-15T07:05:30.25+02:00', '2024-07-15T05:05:30.25Z'],
  ])('%s → effective %s, utc %s', (text, effective, utc) => {
    expect(parseIsoTimestamp(text, berlin)).toEqual({ effective, utc });
  });

  it('DST gap (spring forward): a non-existent local time moves forward by the gap', () => {
    // Europe/Berlin 2024-03-31: 02:00 CET → 03:00 CEST, so 02:30 does not exist.
    expect(parseIsoTimestamp('2024-03-31T02:30:00', berlin)).toEqual({ effective: '2024-03-31T03:30:00+02:00', utc: '2024-03-31T01:30:00Z' });
    expect(parseIsoTimestamp('2024-03-10T02:30:00', newYork)).toEqual({ effective: '2024-03-10T03:30:00-04:00', utc: '2024-03-10T07:30:00Z' });
  });

  it('DST overlap (fall back): an ambiguous local time takes the earlier instant', () => {
    // Europe/Berlin 2024-10-27: 03:00 CEST → 02:00 CET, so 02:30 happens twice.
    expect(parseIsoTimestamp('2024-10-27T02:30:00', berlin)).toEqual({ effective: '2024-10-27T02:30:00+02:00', utc: '2024-10-27T00:30:00Z' });
    expect(parseIsoTimestamp('2024-11-03T01:30:00', newYork)).toEqual({ effective: '2024-11-03T01:30:00-04:00', utc: '2024-11-03T05:30:00Z' });
    // just outside the overlap both sides are unambiguous
    expect(parseIsoTimestamp('2024-10-27T03:00:00', berlin).effective).toBe('2024-10-27T03:00:00+01:00');
  });

  it('does not depend on the process time zone', () => {
    expect(parseIsoTimestamp('2024-07-15T12:00:00', ianaZone('Asia/Kolkata')).effective).toBe('2024-07-15T12:00:00+05:30');
    expect(parseIsoTimestamp('2024-07-15T12:00:00', ianaZone('UTC')).effective).toBe('2024-07-15T12:00:00+00:00');
  });

  it.each([
    ['2024-05-14', /not an ISO 8601 date-time/],
    ['14/05/2024 09:30', /not an ISO 8601 date-time/],
    ['2024-02-30T10:00:00Z', /not a valid calendar date-time/],
    ['2023-02-29T10:00:00Z', /not a valid calendar date-time/],
    ['2024-05-14T24:00:00Z', /not a valid calendar date-time/],
    ['2024-05-14T23:60:00Z', /not a valid calendar date-time/],
    ['2024-05-14T23:59:60Z', /not a valid calendar date-time/],
    ['2024-05-14T10:00:00+15:00', /invalid UTC offset/],
    ['2024-05-14T10:00:00+01:75', /invalid UTC offset/],
    ['0000-05-14T10:00:00Z', /not a valid calendar date-time/],
  ])('rejects %p', (text, reason) => {
    expect(() => parseIsoTimestamp(text, berlin)).toThrow(TimestampError);
    expect(() => parseIsoTimestamp(text, berlin)).toThrow(reason);
  });

  it('accepts a leap day', () => {
    expect(parseIsoTimestamp('2024-02-29T10:00:00Z', undefined).utc).toBe('2024-02-29T10:00:00Z');
  });

  it('rejects a timestamp without offset when the mapping declares no zone', () => {
    expect(() => parseIsoTimestamp('2024-05-14T09:30:00', undefined)).toThrow(/no UTC offset and the mapping declares no timezone/);
  });
});

describe('fromEpoch', () => {
  it.each([
    [1715678400000, 'ms' as const, '2024-05-14T09:20:00Z'],
    [1715678400250, 'ms' as const, '2024-05-14T09:20:00.25Z'],
    [1715678400, 's' as const, '2024-05-14T09:20:00Z'],
    [1715678400.5, 's' as const, '2024-05-14T09:20:00.5Z'],
    [0, 's' as const, '1970-01-01T00:00:00Z'],
  ])('%p %s → %s', (value, unit, text) => {
    expect(fromEpoch(value, unit)).toEqual({ effective: text, utc: text });
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, 1e20])('rejects %p', (value) => {
    expect(() => fromEpoch(value, 'ms')).toThrow(TimestampError);
  });
});

describe('ianaZone', () => {
  it('rejects an unknown zone', () => {
    expect(() => ianaZone('Mars/Olympus_Mons')).toThrow(RangeError);
  });
});
