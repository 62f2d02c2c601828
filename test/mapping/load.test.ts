import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERR_MAPPING_INVALID, ERR_MAPPING_UNKNOWN, ERR_NO_MAPPING, loadMappings, MAPPING_SCHEMA, mappingFiles, selectMapping } from '../../src/mapping';

const yaml = (id: string, type: string) => `id: ${id}
title: ${id}
match: { path: "$.type", equals: "${type}" }
message: { timestamp: "$.ts" }
observations:
  - code: { system: http://loinc.org, code: "8867-4" }
    value: { quantity: { path: "$.hr", unit: "/min" } }
`;

describe('loadMappings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mappings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads <dir>/*/mapping.yaml and <dir>/*.yaml|json in name order', () => {
    mkdirSync(join(dir, 'b-family'));
    writeFileSync(join(dir, 'b-family', 'mapping.yaml'), yaml('b', 'x'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ id: 'a', title: 'a', match: { path: '$.type', equals: 'x' }, message: { timestamp: '$.ts' },
      observations: [{ code: { system: 'http://loinc.org', code: '8867-4' }, value: { quantity: { path: '$.hr', unit: '/min' } } }] }));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    mkdirSync(join(dir, 'empty-folder'));
    const loaded = loadMappings(dir);
    expect(loaded.map((m) => m.id)).toEqual(['a', 'b']);
    expect(mappingFiles(dir).map((f) => f.slice(dir.length + 1))).toEqual(['a.json', join('b-family', 'mapping.yaml')]);
    // first match in load order wins
    expect(selectMapping(loaded, { type: 'x' }).id).toBe('a');
  });

  it('a bad file stops loading with file and line', () => {
    mkdirSync(join(dir, 'ok'));
    writeFileSync(join(dir, 'ok', 'mapping.yaml'), yaml('ok', 'x'));
    mkdirSync(join(dir, 'bad'));
    writeFileSync(join(dir, 'bad', 'mapping.yaml'), yaml('bad', 'y').replace('unit: "/min"', 'unit: "/min", from: "[degF]", decimals: 1'));
    expect(() => loadMappings(dir)).toThrow(expect.objectContaining({ code: ERR_MAPPING_INVALID }));
    expect(() => loadMappings(dir)).toThrow(/bad\/mapping\.yaml:7: observations\[0\]\.value\.quantity\.from: no conversion from \[degF\] to \/min/);
  });

  it('duplicate ids are an error naming both files', () => {
    writeFileSync(join(dir, 'one.yaml'), yaml('same', 'x'));
    writeFileSync(join(dir, 'two.yaml'), yaml('same', 'y'));
    expect(() => loadMappings(dir)).toThrow(/two\.yaml:1: id: duplicate mapping id "same" \(also in .*one\.yaml\)/);
  });
});

describe('selectMapping', () => {
  const mappings = loadMappings(join(__dirname, '..', '..', 'mappings'));

  it('by id, whatever the payload', () => {
    expect(selectMapping(mappings, {}, 'thermometer').id).toBe('thermometer');
  });

  it('an unknown id is ERR_MAPPING_UNKNOWN (404)', () => {
    expect(() => selectMapping(mappings, {}, 'toaster')).toThrow(expect.objectContaining({ code: ERR_MAPPING_UNKNOWN, status: 404 }));
  });

  it.each([
    [{ type: 'pulse-oximeter' }, 'pulse-oximeter'],
    [{ kind: 'bp', reading: { sys: 1 } }, 'bp-cuff'],
    [{ device: { class: 'tympanic-thermometer' } }, 'thermometer'],
    [{ ecg: { leadI: [] } }, 'ecg-patch'],
  ])('by match rule: %p → %s', (payload, id) => {
    expect(selectMapping(mappings, payload).id).toBe(id);
  });

  it.each([{}, { kind: 'bp' }, null, [], 'text'])('no match for %p → ERR_NO_MAPPING (422)', (payload) => {
    expect(() => selectMapping(mappings, payload)).toThrow(expect.objectContaining({ code: ERR_NO_MAPPING, status: 422 }));
  });
});

describe('schema/mapping.schema.json', () => {
  it('is MAPPING_SCHEMA written out (regenerate it when the schema changes)', () => {
    const file = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schema', 'mapping.schema.json'), 'utf8')) as unknown;
    expect(file).toEqual(JSON.parse(JSON.stringify(MAPPING_SCHEMA)));
  });

  it('every mapping file points editors at it', () => {
    for (const f of mappingFiles(join(__dirname, '..', '..', 'mappings'))) {
      expect(readFileSync(f, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../../schema/mapping.schema.json');
    }
  });
});
