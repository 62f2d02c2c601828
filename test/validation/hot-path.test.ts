import { Step } from '../../src/validation/issues';
import { changed, errors, fixture, summary, validate } from './helpers';

// The hot path builds locations lazily and tests choice elements without Object.keys; these pin both to the
// meaning they replace (FHIRPath `x.exists()` for `x[x]`, and the issue expression text).
describe('validation hot path', () => {
  it('makes the location text of a step only on demand, with the index when there is one', () => {
    const at = new Step(new Step('Observation', 'component', 1), 'code');
    expect(`${at}.coding`).toBe('Observation.component[1].code.coding');
    expect(String(new Step('Observation', 'status'))).toBe('Observation.status');
  });

  it('points a nested array error at the full FHIRPath location', () => {
    const r = changed('observation-blood-pressure', (o) => {
      o.component[1].code.coding[0].system = 'not-absolute';
    });
    expect(summary(validate(r)).some((s) => s.includes('Observation.component[1].code.coding[0].system'))).toBe(true);
  });

  it('ext-1: an extension with a value[x] passes, one with both a value[x] and extensions fails', () => {
    const ok = changed('observation-heart-rate', (o) => {
      o.extension = [{ url: 'http://example.org/x', valueString: 'a' }];
    });
    const bad = changed('observation-heart-rate', (o) => {
      o.extension = [{ url: 'http://example.org/x', valueString: 'a', extension: [{ url: 'y', valueBoolean: true }] }];
    });
    const ext1 = (r: object): boolean => summary(validate(r)).some((s) => s.includes('ext-1'));
    expect(ext1(ok)).toBe(false);
    expect(ext1(bad)).toBe(true);
  });

  it('obs-6: dataAbsentReason with a value[x] fails, without one passes', () => {
    const dar = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'unknown' }] };
    const both = changed('observation-heart-rate', (o) => {
      o.dataAbsentReason = dar;
    });
    const only = changed('observation-heart-rate', (o) => {
      delete o.valueQuantity;
      o.dataAbsentReason = dar;
    });
    expect(summary(validate(both)).some((s) => s.includes('obs-6'))).toBe(true);
    expect(summary(validate(only)).some((s) => s.includes('obs-6'))).toBe(false);
    expect(errors(validate(fixture('observation-heart-rate')))).toEqual([]);
  });
});
