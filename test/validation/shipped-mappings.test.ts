import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from 'fhir/r4';
import { createValidator, loadDefinitions, type Validator } from '../../src/validation';
import { summary } from './helpers';

/**
 * Every shipped mapping's expected output (mappings/<family>/expected/*.json: a Device and its Observations) passes
 * the real validator with the real profiles/: base R4, the vital-signs profiles applied from the LOINC codes, and
 * every profile the resources declare in meta.profile (our iomt-* profiles once a mapping declares them).
 */
const ROOT = join(__dirname, '..', '..');
const IOMT = 'https://iomt-bridge.dev/fhir/StructureDefinition/';

interface Output {
  device?: Resource;
  observations?: Resource[];
}

const cases: Array<[string, string, Resource]> = [];
for (const family of readdirSync(join(ROOT, 'mappings')).sort()) {
  const dir = join(ROOT, 'mappings', family, 'expected');
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const out = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Output;
    const resources = [...(out.device ? [out.device] : []), ...(out.observations ?? [])];
    resources.forEach((r, i) => cases.push([`${family}/${file}`, `${r.resourceType}#${i}`, r]));
  }
}

let validator: Validator;
beforeAll(() => {
  validator = createValidator(loadDefinitions({ profilesDir: join(ROOT, 'profiles') }));
});

describe('shipped mapping outputs', () => {
  it('exist (the corpus is not empty)', () => {
    expect(cases.length).toBeGreaterThan(10);
  });

  it.each(cases)('%s %s has no error', (_file, _which, resource) => {
    const errors = validator.validate(resource).issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
    expect(summary({ resourceType: 'OperationOutcome', issue: errors })).toEqual([]);
  });

  it('are checked against our profiles where they declare them (the declared profile is known, not skipped)', () => {
    const declared = cases.filter(([, , r]) => (r.meta?.profile ?? []).some((p) => p.startsWith(IOMT)));
    for (const [, , r] of declared) {
      const unknown = validator.validate(r).issue.filter((i) => i.code === 'not-supported' && i.expression?.[0]?.includes('meta.profile'));
      expect(unknown).toEqual([]);
    }
  });
});
