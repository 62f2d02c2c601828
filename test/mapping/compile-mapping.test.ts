import { compileMapping, ERR_MAPPING_INVALID, parseMappingText } from '../../src/mapping';
import { FhirError } from '../../src/errors/fhir-error';

const BASE = `id: demo
title: Demo
match: { path: "$.type", equals: "demo" }
timezone: Europe/Berlin
message:
  id: "$.id"
  timestamp: "$.ts"
device:
  serial: "$.sn"
observations:
  - code: { system: http://loinc.org, code: "8867-4", display: Heart rate }
    category: vital-signs
    value: { quantity: { path: "$.hr", unit: "/min" } }
`;

const compileText = (text: string, source = 'mappings/demo/mapping.yaml') => {
  const { doc, lines } = parseMappingText(text, source);
  return compileMapping(doc, source, lines);
};

/** Replace one line (1-based) of BASE, or append when `line` is past the end. */
const withLine = (line: number, text: string): string => {
  const lines = BASE.split('\n');
  lines[line - 1] = text;
  return lines.join('\n');
};

const failure = (text: string): FhirError => {
  try {
    compileText(text);
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('compiled without error');
};

describe('compileMapping: a bad mapping names file and line', () => {
  it('compiles the base mapping', () => {
    const m = compileText(BASE);
    expect(m).toMatchObject({ id: 'demo', title: 'Demo', source: 'mappings/demo/mapping.yaml' });
    expect(m.matches({ type: 'demo' })).toBe(true);
  });

  it.each([
    ['YAML syntax', withLine(6, '  id: "$.id'), 6, /Missing closing "quote|unexpected end|closing/i],
    ['duplicate key', withLine(9, '  serial: "$.sn"\n  serial: "$.other"'), 10, /unique|duplicate/i],
    ['unknown top-level key (mass assignment of status)', withLine(14, 'status: entered-in-error'), 14, /unknown key "status"/],
    ['unknown key in an observation', withLine(12, '    category: vital-signs\n    subject: "$.p"'), 13, /observations\[0\]\.subject: unknown key "subject"/],
    ['number where a string is required', withLine(11, '  - code: { system: http://loinc.org, code: 8867 }'), 11, /observations\[0\]\.code\.code: must be string/],
    ['category outside the CodeSystem', withLine(12, '    category: vitals'), 12, /category: must be equal to one of the allowed values: "social-history"/],
    ['JSONPath outside the subset', withLine(13, '    value: { quantity: { path: "$.hr[*]", unit: "/min" } }'), 13, /observations\[0\]\.value\.quantity\.path: unsupported JSONPath syntax/],
    ['JSONPath in message.id', withLine(6, '  id: "$..id"'), 6, /message\.id: expected a member name/],
    ['not a UCUM unit', withLine(13, '    value: { quantity: { path: "$.hr", unit: "bpm" } }'), 13, /"bpm" is not a UCUM unit code/],
    ['unknown conversion', withLine(13, '    value: { quantity: { path: "$.hr", from: "K", unit: "Cel", decimals: 1 } }'), 13, /no conversion from K to Cel \(known: \[degF\] ↔ Cel/],
    ['conversion without decimals', withLine(13, '    value: { quantity: { path: "$.t", from: "[degF]", unit: "Cel" } }'), 13, /needs `decimals`/],
    ['unknown time zone', withLine(4, 'timezone: Europe/Atlantis'), 4, /timezone: "Europe\/Atlantis" is not an IANA time zone/],
    ['match with two tests', withLine(3, 'match: { path: "$.type", equals: "demo", exists: true }'), 3, /exactly one of equals, in, exists/],
    ['match mixing groups', withLine(3, 'match: { all: [{ path: "$.a", exists: true }], path: "$.b", equals: 1 }'), 3, /exactly one of \{path/],
    ['source with path and const', withLine(9, '  serial: { path: "$.sn", const: "X" }'), 9, /device\.serial: needs exactly one of path, expression, const/],
    ['observation without a value', withLine(13, ''), 11, /needs a value, components, or both/],
    ['empty value', withLine(13, '    value: {}'), 13, /must NOT have fewer than 1 properties/],
    ['missing required title', withLine(2, ''), 1, /missing required key "title"/],
    ['bad mapping id', withLine(1, 'id: Demo Mapping'), 1, /^.*id: must match pattern/],
    ['duplicate observation code', `${BASE}  - code: { system: http://loinc.org, code: "8867-4" }\n    value: { quantity: { path: "$.hr2", unit: "/min" } }\n`, 14, /code 8867-4 is already used by observations\[0\]/],
    ['language without expression', withLine(9, '  serial: { path: "$.sn", language: jsonpath }'), 9, /`language` only applies to `expression`/],
    ['timestamp as a constant', withLine(7, '  timestamp: { const: "2024-01-01T00:00:00Z" }'), 7, /timestamp must come from the payload/],
  ])('%s', (_name, text, line, reason) => {
    const e = failure(text);
    expect(e.code).toBe(ERR_MAPPING_INVALID);
    expect(e.message.startsWith(`mappings/demo/mapping.yaml:${line}: `)).toBe(true);
    expect(e.message).toMatch(reason);
    expect(e.outcome.issue[0]?.severity).toBe('error');
  });

  it('sampledData needs exactly one of periodMs and frequencyHz', () => {
    const text = withLine(13, '    value: { sampledData: { path: "$.w", origin: { value: 0, unit: mV }, periodMs: 4, frequencyHz: 250 } }');
    expect(failure(text).message).toMatch(/^mappings\/demo\/mapping\.yaml:13: .*exactly one of periodMs, frequencyHz/);
  });

  it('names the line in JSON files too', () => {
    const json = JSON.stringify({ id: 'demo', title: 'Demo', match: { path: '$.t', equals: 1 }, message: { timestamp: '$.ts' },
      observations: [{ code: { system: 'http://loinc.org', code: '8867-4' }, value: { quantity: { path: '$.hr', unit: 'beats' } } }] }, null, 2);
    const unitLine = json.split('\n').findIndex((l) => l.includes('"beats"')) + 1;
    const { doc, lines } = parseMappingText(json, 'm.json');
    expect(() => compileMapping(doc, 'm.json', lines)).toThrow(new RegExp(`^m\\.json:${unitLine}: .*"beats" is not a UCUM unit`));
  });

  it('names the file (without line) when no line lookup is given', () => {
    expect(() => compileMapping({ id: 'x' }, 'inline')).toThrow(/^inline: \(root\): missing required key "title"/);
    expect(() => compileMapping('not an object', 'inline')).toThrow(/^inline: \(root\): must be object/);
  });

  it('stops alias bombs', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expect(() => parseMappingText(bomb.join('\n'), 'bomb.yaml')).toThrow(/^bomb\.yaml: .*alias/i);
  });

  it('the issue expression names the element of the mapping', () => {
    const e = failure(withLine(13, '    value: { quantity: { path: "$.hr", unit: "bpm" } }'));
    expect(e.outcome.issue[0]?.expression).toEqual(['observations[0].value.quantity.unit']);
  });
});
