import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StructureDefinition } from 'fhir/r4';
import { createValidator, loadDefinitions } from '../../src/validation';
import { changed, errors } from './helpers';

const core = loadDefinitions();
const bodytemp = core.structureDefinitions.find((sd) => sd.url === 'http://hl7.org/fhir/StructureDefinition/bodytemp');

describe('loadDefinitions', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'iomt-profiles-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the R4 core types, resources, vital-signs profiles and value sets', () => {
    const urls = new Set(core.structureDefinitions.map((sd) => sd.url));
    for (const name of ['Quantity', 'SampledData', 'Observation', 'Device', 'vitalsigns', 'bp', 'heartrate', 'oxygensat', 'bodytemp', 'resprate']) {
      expect(urls.has(`http://hl7.org/fhir/StructureDefinition/${name}`)).toBe(true);
    }
    expect(core.valueSets.some((vs) => vs.url === 'http://hl7.org/fhir/ValueSet/observation-status')).toBe(true);
    expect(core.codeSystems.some((cs) => cs.url === 'http://hl7.org/fhir/observation-status')).toBe(true);
  });

  it('loads StructureDefinitions dropped in profilesDir, and the validator applies them by meta.profile', () => {
    const url = 'http://example.org/fhir/StructureDefinition/ward-temperature';
    const local: StructureDefinition = { ...(bodytemp as StructureDefinition), id: 'ward-temperature', url, name: 'WardTemperature' };
    writeFileSync(join(dir, 'ward-temperature.json'), JSON.stringify(local));
    writeFileSync(join(dir, 'notes.txt'), 'not a profile, ignored');
    const validator = createValidator(loadDefinitions({ profilesDir: dir }));
    const r = changed('observation-ecg', (o) => (o.meta = { profile: [url] }));
    const texts = errors(validator.validate(r as never)).map((i) => i.diagnostics ?? '');
    expect(texts).toEqual(expect.arrayContaining([expect.stringContaining(`BodyTempCode`), expect.stringContaining(`(profile ${url})`)]));
  });

  it.each([
    ['not JSON', '{ "resourceType": '],
    ['not a StructureDefinition', JSON.stringify({ resourceType: 'Patient' })],
    ['without a snapshot', JSON.stringify({ resourceType: 'StructureDefinition', url: 'http://x/y', type: 'Observation' })],
  ])('throws, naming the file, for a profile %s', (_name, text) => {
    writeFileSync(join(dir, 'broken-profile.json'), text);
    expect(() => loadDefinitions({ profilesDir: dir })).toThrow(/broken-profile\.json/);
  });
});
