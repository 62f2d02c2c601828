import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createValidator, loadConformanceCases, loadDefinitions, runConformance, type Validator } from '../../src/validation';
import { anchor } from '../support/anchors';

/**
 * The conformance runner (npm run conformance): reading the fhir-test-cases layout, comparing verdicts and error
 * elements, and keeping docs/validation.md honest — every disagreement on the real cases is explained there.
 */
const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(__dirname, 'fixtures', 'cases');
const ANCHORS = anchor('fhir-test-cases');

let validator: Validator;
beforeAll(() => {
  validator = createValidator(loadDefinitions());
});

describe('runConformance on a fixture folder', () => {
  const byName = () => new Map(runConformance(validator, loadConformanceCases(FIXTURE)).results.map((r) => [`${r.case}/${r.kind}`, r]));

  it.each([
    ['valid-obs/base', { agrees: true, expectedValid: true, actualValid: true, sameElements: true }],
    ['bad-status/base', { agrees: true, expectedValid: false, actualValid: false, sameElements: true }],
    ['display-only/base', { agrees: false, expectedValid: false, actualValid: true }],
    ['not-json/base', { agrees: true, expectedValid: false, actualValid: false }],
    ['needs-subject/base', { agrees: true, expectedValid: true, actualValid: true }],
    ['needs-subject/profile', { agrees: true, expectedValid: false, actualValid: false, sameElements: true }],
    ['ig-global/base', { agrees: true, expectedValid: false, actualValid: false }],
  ])('%s', (key, want) => {
    expect(byName().get(key)).toEqual(expect.objectContaining(want));
  });

  it('runs no check for an XML input and says why', () => {
    const cases = loadConformanceCases(FIXTURE);
    const xml = cases.find((c) => c.name === 'xml-input');
    expect(xml?.skipped).toEqual([expect.stringMatching(/input\.xml: XML is not read/)]);
    expect(runConformance(validator, cases).results.some((r) => r.case === 'xml-input')).toBe(false);
  });

  it('totals the verdicts', () => {
    const s = runConformance(validator, loadConformanceCases(FIXTURE));
    expect({ checks: s.checks, agreed: s.agreed }).toEqual({ checks: 7, agreed: 6 });
    expect(s.agreement).toBeCloseTo(6 / 7);
  });
});

const cli = join(ROOT, 'bench', 'conformance.js');
const built = existsSync(join(ROOT, 'dist', 'validation', 'conformance.js'));
(built ? describe : describe.skip)('bench/conformance.js (needs `npm run build`, as `npm test` does)', () => {
  it('prints per-case lines, a total, and a JSON line last; --json prints the results', () => {
    const text = execFileSync(process.execPath, [cli, '--cases', FIXTURE], { encoding: 'utf8' }).trim().split('\n');
    expect(text).toContain('DISAGREE tx/display-only (base): reference invalid, ours valid');
    expect(JSON.parse(text[text.length - 1] ?? '')).toEqual(expect.objectContaining({ checks: 7, agreed: 6 }));
    const json = execFileSync(process.execPath, [cli, '--cases', FIXTURE, '--json'], { encoding: 'utf8' });
    const results = JSON.parse(json.slice(0, json.lastIndexOf('\n{'))) as Array<{ case: string }>;
    expect(results.map((r) => r.case)).toContain('needs-subject');
  });
});

(existsSync(join(ANCHORS, 'manifest.json')) ? describe : describe.skip)('the HL7 cases (../shared/anchors/fhir-test-cases)', () => {
  it('every disagreement is explained in docs/validation.md, by case name', () => {
    const s = runConformance(createValidator(loadDefinitions({ profilesDir: join(ROOT, 'profiles') })), loadConformanceCases(ANCHORS));
    const doc = readFileSync(join(ROOT, 'docs', 'validation.md'), 'utf8');
    const unexplained = s.results.filter((r) => !r.agrees && !doc.includes(`\`${r.case}\``)).map((r) => r.case);
    expect(unexplained).toEqual([]);
  });
});
