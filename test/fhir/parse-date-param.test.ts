import { parseDateParam } from '../../src/fhir';
import { isFhirError } from '../../src/errors/fhir-error';

const ms = (iso: string): number => Date.parse(iso);

describe('parseDateParam', () => {
  it.each([
    // value, prefix, start, end (exclusive)
    ['2024', 'eq', '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z'],
    ['2024-02', 'eq', '2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z'],
    ['2023-12', 'eq', '2023-12-01T00:00:00Z', '2024-01-01T00:00:00Z'],
    ['2024-02-29', 'eq', '2024-02-29T00:00:00Z', '2024-03-01T00:00:00Z'],
    ['ge2024-03-01', 'ge', '2024-03-01T00:00:00Z', '2024-03-02T00:00:00Z'],
    ['lt2024-03-01T10:00:00+02:00', 'lt', '2024-03-01T08:00:00Z', '2024-03-01T08:00:01Z'],
    ['gt2024-03-01T10:00:00-05:30', 'gt', '2024-03-01T15:30:00Z', '2024-03-01T15:30:01Z'],
    ['le2024-03-01T10:00Z', 'le', '2024-03-01T10:00:00Z', '2024-03-01T10:01:00Z'],
    ['ne2024-03-01T10:00:05', 'ne', '2024-03-01T10:00:05Z', '2024-03-01T10:00:06Z'],
    ['eq2024-03-01T10:00:05.5Z', 'eq', '2024-03-01T10:00:05.500Z', '2024-03-01T10:00:05.600Z'],
    ['2024-03-01T10:00:05.123Z', 'eq', '2024-03-01T10:00:05.123Z', '2024-03-01T10:00:05.124Z'],
    // An unencoded '+' arrives as a space.
    ['2024-03-01T10:00:00 01:00', 'eq', '2024-03-01T09:00:00Z', '2024-03-01T09:00:01Z'],
    ['0050', 'eq', '0050-01-01T00:00:00Z', '0051-01-01T00:00:00Z'],
  ])('%s → %s [%s, %s)', (value, prefix, start, end) => {
    expect(parseDateParam(value)).toEqual({ prefix, start: ms(start), end: ms(end) });
  });

  it.each(['sa2024', 'eb2024-01-01', 'ap2024-01-01'])('refuses the unsupported prefix in %s', (value) => {
    expect(() => parseDateParam(value)).toThrow(
      expect.objectContaining({ code: 'ERR_SEARCH_PARAM_UNSUPPORTED', status: 400 }),
    );
  });

  it.each([
    'xx2024',
    '24',
    '2024-13',
    '2024-02-30',
    '2023-02-29',
    '2024-03-01T10',
    '2024-03-01T24:00:00Z',
    '2024-03-01T10:60Z',
    '2024-03-01T10:00:61Z',
    '2024-03-01T10:00:00+15:00',
    '2024-03-01+01:00',
    '0000',
    '2024-03-01T10:00:00.1234567890Z',
    'now',
  ])('refuses the malformed %s with expression date', (value) => {
    try {
      parseDateParam(value);
      throw new Error('expected an error');
    } catch (e) {
      expect(isFhirError(e) && e.code).toBe('ERR_SEARCH_PARAM_INVALID');
      expect(isFhirError(e) && e.outcome.issue[0]?.expression).toEqual(['date']);
    }
  });
});
