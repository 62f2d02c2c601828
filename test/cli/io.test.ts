import { inputMediaType, reportError, type CliIo } from '../../src/cli/io';
import { badRequest } from '../../src/errors/fhir-error';

describe('inputMediaType: NDJSON by name or flag only', () => {
  it.each([
    ['readings.ndjson', undefined, 'application/x-ndjson'],
    ['READINGS.NDJSON', undefined, 'application/x-ndjson'],
    ['readings.json', true, 'application/x-ndjson'],
    ['-', true, 'application/x-ndjson'],
    ['readings.json', undefined, 'application/json'],
    ['readings.ndjson.json', undefined, 'application/json'],
    ['-', undefined, 'application/json'],
    ['ndjson', false, 'application/json'],
  ] as const)('%s with --ndjson=%s → %s', (input, flag, type) => {
    expect(inputMediaType(input, flag)).toBe(type);
  });
});

describe('reportError', () => {
  const capture = () => {
    const err: string[] = [];
    const io: CliIo = { out: () => undefined, err: (t) => { err.push(t); }, readStdin: () => '' };
    return { io, err };
  };

  it('prints a FhirError as its OperationOutcome (JSON) and returns 1', () => {
    const { io, err } = capture();
    expect(reportError(io, badRequest('ERR_TEST', 'nope', 'Observation.code'))).toBe(1);
    expect(JSON.parse(err.join(''))).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ expression: ['Observation.code'] }] });
  });

  it.each([[new Error('boom'), 'iomt-bridge: boom'], ['plain', 'iomt-bridge: plain'], [{ message: 'foreign realm' }, 'iomt-bridge: foreign realm']])(
    'prints %p as one message line and returns 1', (error, line) => {
      const { io, err } = capture();
      expect(reportError(io, error)).toBe(1);
      expect(err).toEqual([line]);
    });
});
