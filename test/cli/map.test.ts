import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, OperationOutcome } from 'fhir/r4';
import { cliSandbox } from './run-cli';

// `map` is the dry run: the very parse → map → validate code of ingest, printing a collection Bundle. The real
// mappings/ folder is the fixture, and its expected/ files (made for device `dev-<family>-1`) are the oracle.
const cli = cliSandbox();
afterAll(() => cli.cleanup());

const MAPPINGS = join(__dirname, '..', '..', 'mappings');
const BASE = 'http://localhost:8080/fhir'; // the default FHIR base of the sandbox configuration
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const example = (family: string, name: string) => join(MAPPINGS, family, 'examples', name);
const PO = example('pulse-oximeter', 'with-message-id.json');

interface Golden { device: { id?: string }; observations: Array<{ id?: string }> }

/** The Bundle `map` must print for these golden outputs: the Device first (de-duplicated), then every Observation. */
function bundleOf(...outputs: Golden[]): Bundle {
  const resources = [outputs.at(-1)!.device, ...outputs.flatMap((o) => o.observations)] as Array<{ resourceType: string; id?: string }>;
  return {
    resourceType: 'Bundle', type: 'collection',
    entry: resources.map((resource) => ({ fullUrl: `${BASE}/${resource.resourceType}/${resource.id}`, resource })),
  } as Bundle;
}

const cases = readdirSync(MAPPINGS).flatMap((family) =>
  readdirSync(join(MAPPINGS, family, 'examples')).map((name) => ({ family, name })));

describe('map', () => {
  it.each(cases)('$family/$name prints the expected collection Bundle and exits 0', async ({ family, name }) => {
    const { code, out, err } = await cli.run(['map', '--mapping', family, '--input', example(family, name), '--device', `dev-${family}-1`]);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(out)).toEqual(bundleOf(readJson<Golden>(join(MAPPINGS, family, 'expected', name))));
  });

  it('takes a mapping file path instead of an id', async () => {
    const { code, out } = await cli.run(['map', '--mapping', join(MAPPINGS, 'pulse-oximeter', 'mapping.yaml'), '--input', PO, '--device', 'dev-pulse-oximeter-1']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(bundleOf(readJson<Golden>(join(MAPPINGS, 'pulse-oximeter', 'expected', 'with-message-id.json'))));
  });

  it('reads the payload from stdin with --input -', async () => {
    const { code, out } = await cli.run(['map', '--mapping', 'pulse-oximeter', '--input', '-', '--device', 'dev-pulse-oximeter-1'], { stdin: readFileSync(PO, 'utf8') });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(bundleOf(readJson<Golden>(join(MAPPINGS, 'pulse-oximeter', 'expected', 'with-message-id.json'))));
  });

  it('maps every item of a JSON array', async () => {
    const names = ['local-time-no-pulse.json', 'with-message-id.json'];
    const file = join(cli.dataDir, 'both.json');
    writeFileSync(file, JSON.stringify(names.map((n) => readJson(example('pulse-oximeter', n)))));
    const { code, out } = await cli.run(['map', '--mapping', 'pulse-oximeter', '--input', file, '--device', 'dev-pulse-oximeter-1']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(bundleOf(...names.map((n) => readJson<Golden>(join(MAPPINGS, 'pulse-oximeter', 'expected', n)))));
  });
});

describe('map: NDJSON only when said so (a *.ndjson name or --ndjson), never guessed from the text', () => {
  const lines = ['local-time-no-pulse.json', 'with-message-id.json'].map((n) => JSON.stringify(readJson(example('pulse-oximeter', n)))).join('\n') + '\n';
  const entries = async (args: string[]) => {
    const { code, out, err } = await cli.run(['map', '--mapping', 'pulse-oximeter', ...args]);
    return { code, err, entries: code === 0 ? (JSON.parse(out) as Bundle).entry?.length : undefined };
  };

  it.each([
    ['a .ndjson file', 'two.ndjson', []],
    ['a .NDJSON file', 'two.NDJSON', []],
    ['--ndjson on any name', 'two.txt', ['--ndjson']],
  ])('reads %s as NDJSON', async (_, name, flags) => {
    writeFileSync(join(cli.dataDir, name), lines);
    expect(await entries(['--input', join(cli.dataDir, name), ...flags])).toEqual({ code: 0, err: '', entries: 4 });
  });

  it('reads --input - as NDJSON with --ndjson', async () => {
    const { code, out } = await cli.run(['map', '--mapping', 'pulse-oximeter', '--input', '-', '--ndjson'], { stdin: lines });
    expect(code).toBe(0);
    expect((JSON.parse(out) as Bundle).entry).toHaveLength(4);
  });

  it('reads NDJSON text in a .json file as JSON, and says where it breaks', async () => {
    writeFileSync(join(cli.dataDir, 'two.json'), lines);
    const { code, out, err } = await cli.run(['map', '--mapping', 'pulse-oximeter', '--input', join(cli.dataDir, 'two.json')]);
    expect({ code, out }).toEqual({ code: 1, out: '' });
    expect(JSON.parse(err)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure' }] });
  });

  it('reads a one-line .ndjson file as one item', async () => {
    writeFileSync(join(cli.dataDir, 'one.ndjson'), JSON.stringify(readJson(PO)));
    expect(await entries(['--input', join(cli.dataDir, 'one.ndjson')])).toEqual({ code: 0, err: '', entries: 3 });
  });
});

describe('map: refused items', () => {
  const outcome = (err: string) => JSON.parse(err) as OperationOutcome;
  const withoutSpo2 = { ...readJson<Record<string, unknown>>(PO), spo2: 'high' };

  it('prints an OperationOutcome naming the element on stderr, and exits 1', async () => {
    const { code, out, err } = await cli.run(['map', '--mapping', 'pulse-oximeter', '--input', '-'], { stdin: JSON.stringify(withoutSpo2) });
    expect(code).toBe(1);
    expect(JSON.parse(out)).toEqual({ resourceType: 'Bundle', type: 'collection', entry: [] });
    expect(outcome(err).issue).toEqual([expect.objectContaining({ severity: 'error', code: 'value', expression: ['item[0].spo2'] })]);
  });

  it('keeps the accepted items of a batch and reports the refused ones by index', async () => {
    const { code, out, err } = await cli.run(['map', '--mapping', 'pulse-oximeter', '--input', '-', '--device', 'dev-pulse-oximeter-1'], { stdin: JSON.stringify([readJson(PO), withoutSpo2]) });
    expect(code).toBe(1);
    expect(JSON.parse(out)).toEqual(bundleOf(readJson<Golden>(join(MAPPINGS, 'pulse-oximeter', 'expected', 'with-message-id.json'))));
    expect(outcome(err).issue).toEqual([expect.objectContaining({ expression: ['item[1].spo2'] })]);
  });

  it('refuses what the validator refuses: a mapping file giving heart rate in Hz breaks the R4 heartrate profile', async () => {
    const custom = readFileSync(join(MAPPINGS, 'pulse-oximeter', 'mapping.yaml'), 'utf8').replace('unit: "/min"', 'unit: "Hz"');
    expect(custom).toContain('unit: "Hz"');
    const file = join(cli.dataDir, 'oxi-hz.yaml');
    writeFileSync(file, custom);
    const { code, err } = await cli.run(['map', '--mapping', file, '--input', PO]);
    expect(code).toBe(1);
    expect(outcome(err).issue).toEqual([expect.objectContaining({
      severity: 'error', expression: ['Observation.valueQuantity.code'], diagnostics: expect.stringContaining('StructureDefinition/heartrate'),
    })]);
  });
});
