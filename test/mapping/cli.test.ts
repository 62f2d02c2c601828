import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliSandbox } from '../cli/run-cli';
import { anchor } from '../support/anchors';

// The debugger commands of the CLI (src/cli/commands/mappings-test.ts and `map --trace` in dry-run.ts).
const ROOT = join(__dirname, '..', '..');
const BASIC = anchor('medtech', 'templates', 'basic');
const cli = cliSandbox();
afterAll(() => cli.cleanup());

describe('iomt-bridge mappings test', () => {
  it('runs every shipped example against expected/ and validates the output', async () => {
    const { code, out } = await cli.run(['mappings', 'test', '--dir', join(ROOT, 'mappings')]);
    expect(code).toBe(0);
    expect(out).toContain('ok   glucose-meter/batch-mixed-units.json');
    expect(out.trim().split('\n').at(-1)).toBe('16 example(s), 0 failed');
  });

  it('names the first difference and exits 1; --update rewrites expected/', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iomt-mappings-test-'));
    try {
      cpSync(join(ROOT, 'mappings', 'thermometer'), join(dir, 'thermometer'), { recursive: true });
      const file = join(dir, 'thermometer', 'mapping.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('decimals: 1', 'decimals: 2'));
      const failed = await cli.run(['mappings', 'test', '--dir', dir]);
      expect(failed.code).toBe(1);
      expect(failed.out).toContain('FAIL thermometer/fever-no-id.json — $.observations[0].valueQuantity.value: expected 38.9, got 38.94');
      expect((await cli.run(['mappings', 'test', '--dir', dir, '--update'])).code).toBe(0);
      expect((await cli.run(['mappings', 'test', '--dir', dir])).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('iomt-bridge map --trace', () => {
  it('prints each step on stderr and the Bundle on stdout', async () => {
    const input = join(ROOT, 'mappings', 'thermometer', 'examples', 'with-message-id.json');
    const { code, out, err } = await cli.run(['map', '--mapping', 'thermometer', '--input', input, '--trace'], { env: { IOMT_MAPPINGS_DIR: join(ROOT, 'mappings') } });
    expect(code).toBe(0);
    expect(JSON.parse(out).entry).toHaveLength(2);
    const lines = err.split('\n');
    expect(lines[0]).toBe('item[0]');
    expect(lines).toContain('  select    mapping "thermometer" (named by the request)');
    expect(lines).toContain('  read      observations[0].value.quantity  $.tempF → 98.6');
    expect(lines).toContain('  convert   observations[0].value.quantity  98.6 [degF] → 37 Cel (1 decimals)');
    expect(lines.filter((l) => l.startsWith('  validate ')).every((l) => l.endsWith(': valid'))).toBe(true);
  });

  it('runs a MedTech folder given as --mapping and shows why the basic sample\'s blood pressure is refused', async () => {
    const input = join(cli.dataDir, 'bp.json');
    writeFileSync(input, JSON.stringify({ systolic: '120', diastolic: '80', deviceid: 'band-1', patientid: 'p-9', measurementdatetime: '2024-05-14T09:30:05Z' }));
    const { code, err } = await cli.run(['map', '--mapping', BASIC, '--input', input, '--patient', '', '--trace']);
    expect(code).toBe(1);
    expect(err).toContain('  template  template[2].template  $..[?(@systolic && @diastolic)]  jsonpathcontent "bloodpressure": 1 match(es)');
    expect(err).toMatch(/validate {2}Observation\/[0-9a-f]{64}: \d+ error\(s\): .*Slice Observation\.component:DiastolicBP/);
  });
});
