import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation, OperationOutcome } from 'fhir/r4';
import { cliSandbox } from './run-cli';

const cli = cliSandbox();
afterAll(() => cli.cleanup());

/** A real, valid vital-signs Observation: the thermometer's golden output. */
const bodyTemp = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'mappings', 'thermometer', 'expected', 'with-message-id.json'), 'utf8')) as { observations: Observation[] }).observations[0]!;

async function validate(resource: unknown, extra: string[] = []) {
  const file = join(cli.dataDir, 'resource.json');
  writeFileSync(file, JSON.stringify(resource));
  const { code, out, err } = await cli.run(['validate', file, ...extra]);
  return { code, err, outcome: JSON.parse(out) as OperationOutcome };
}

const errors = (outcome: OperationOutcome) => outcome.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');

describe('validate', () => {
  it('prints a success OperationOutcome and exits 0 for a valid Observation', async () => {
    const { code, err, outcome } = await validate(bodyTemp);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(errors(outcome)).toEqual([]);
  });

  it('reads the resource from stdin with -', async () => {
    const { code, out } = await cli.run(['validate', '-'], { stdin: JSON.stringify(bodyTemp) });
    expect(code).toBe(0);
    expect((JSON.parse(out) as OperationOutcome).resourceType).toBe('OperationOutcome');
  });

  const invalid: Array<[string, unknown, string[]]> = [
    ['a status outside its required value set', { ...bodyTemp, status: 'bogus' }, ['Observation.status']],
    ['no code (1..1)', { ...bodyTemp, code: undefined }, ['Observation.code']],
    ['body temperature in kelvin (vital-signs profile applied from the LOINC code)', {
      ...bodyTemp, meta: undefined, valueQuantity: { value: 310, unit: 'K', system: 'http://unitsofmeasure.org', code: 'K' },
    }, ['Observation.valueQuantity.code']],
  ];

  it.each(invalid)('prints the errors and exits 1 for %s', async (_, resource, expressions) => {
    const { code, outcome } = await validate(resource);
    expect(code).toBe(1);
    expect(errors(outcome).flatMap((i) => i.expression ?? [])).toEqual(expect.arrayContaining(expressions));
  });

  it('checks against a profile given with --profile', async () => {
    const plain = { ...bodyTemp, meta: undefined, code: { text: 'temperature' } };
    expect((await validate(plain)).code).toBe(0);
    const { code, outcome } = await validate(plain, ['--profile', 'http://hl7.org/fhir/StructureDefinition/bodytemp']);
    expect(code).toBe(1);
    expect(errors(outcome)).toEqual([expect.objectContaining({ expression: ['Observation.code.coding'], diagnostics: expect.stringContaining('bodytemp') })]);
  });

  it('answers a file that is not JSON with exit 1 and a message', async () => {
    const { code, out, err } = await cli.run(['validate', '-'], { stdin: 'not json' });
    expect({ code, out }).toEqual({ code: 1, out: '' });
    expect(err).toMatch(/^iomt-bridge: .*JSON/);
  });
});
