import { compareDateTimes } from '../../src/validation/date-order';

// The native per-1 short cut: certain answers only; everything FHIRPath might call "empty" is left undecided.
describe('compareDateTimes', () => {
  it.each([
    ['2013', '2014', -1],
    ['2013-04', '2013-03', 1],
    ['2013-04-02', '2013-04-02', 0],
    ['2024-01-01T10:00:00+01:00', '2024-01-01T09:00:00Z', 0],
    ['2024-01-01T10:00:00+01:00', '2024-01-01T08:59:59Z', 1],
    ['2024-01-01T08:00:00.5Z', '2024-01-01T08:00:00.25Z', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareDateTimes(a, b) ?? Number.NaN)).toBe(sign);
  });

  it.each([
    ['2013', '2013-04'], // mixed precision: FHIRPath may answer empty
    ['2024-01-01T10:00:00', '2024-01-01T09:00:00Z'], // no zone
    ['2024-01-01T10:00', '2024-01-01T10:00'], // not to the second
    ['2024-01-01T10:00:00.0001Z', '2024-01-01T10:00:00.0002Z'], // a tie at millisecond resolution
    [2013, '2014'],
  ])('%s vs %s is left to FHIRPath', (a, b) => {
    expect(compareDateTimes(a, b)).toBeUndefined();
  });
});
