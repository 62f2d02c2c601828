import { Step } from '../../src/validation/issues';
import { changed, errors, fixture, summary, validate, type Json } from './helpers';

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

  it('points a primitive issue at the item, made only when reported (value, binding, array index)', () => {
    const bad = changed('observation-heart-rate', (o) => {
      o.status = 'bogus';
      o.meta = { profile: ['http://hl7.org/fhir/StructureDefinition/heartrate', 'not a uri'] };
      o.effectiveDateTime = '2021-02-30';
    });
    const out = summary(validate(bad));
    expect(out).toContainEqual(expect.stringMatching(/^error code-invalid Observation\.status: The code 'bogus'/));
    expect(out).toContain("error value Observation.meta.profile[1]: Meta.profile (canonical) 'not a uri' is not a valid canonical");
    expect(out).toContainEqual(expect.stringMatching(/^error value Observation\.effectiveDateTime: .*no such day/));
  });

  it('matches a slice by a value reached through arrays (code.coding.code), wherever the coding sits', () => {
    // Slice discriminators walk the path without making arrays (slicing.ts someAt): the matching coding second.
    const second = changed('observation-blood-pressure', (o) => {
      o.component[1].code.coding.unshift({ system: 'http://example.org/local', code: 'dia' });
    });
    const none = changed('observation-blood-pressure', (o) => {
      o.component[1].code.coding = [{ system: 'http://example.org/local', code: 'dia' }];
    });
    const diastolic = (r: Json): string[] => summary(validate(r)).filter((s) => s.includes('DiastolicBP'));
    expect(diastolic(second)).toEqual([]);
    expect(diastolic(none)).toEqual([expect.stringMatching(/^error required Observation\.component: Slice Observation\.component:DiastolicBP .*found 0/)]);
  });

  it('one type per choice element: a value and the _value shadow of the same key pass, another type fails once', () => {
    const dar = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] };
    const only = (r: Json): string[] => summary(validate(r)).filter((s) => s.includes('Only one of'));
    const paired = changed('observation-ecg', (o) => {
      o.component[0]._valueString = dar;
      o.component[0].valueString = 'x';
      delete o.component[0].valueSampledData;
    });
    expect(only(paired)).toEqual([]);
    const mixed = changed('observation-heart-rate', (o) => {
      o._valueString = dar;
      o.valueString = 'x';
    });
    expect(only(mixed)).toEqual(['error structure Observation.valueString: Only one of valueQuantity and valueString may be present: value[x] takes a single value']);
  });

  it('keeps an extension context verdict per site: the same extension passes on a Coding and fails on a Quantity', () => {
    const ordinal = { url: 'http://hl7.org/fhir/StructureDefinition/ordinalValue', valueDecimal: 2 };
    const r = changed('observation-heart-rate', (o) => {
      o.code.coding[0].extension = [ordinal];
      o.valueQuantity.extension = [ordinal];
      o.code.coding.push({ system: 'http://example.org/local', code: 'hr', extension: [ordinal] });
    });
    const context = summary(validate(r)).filter((s) => s.includes('is not allowed to be used here'));
    expect(context).toEqual([expect.stringMatching(/^error business-rule Observation\.valueQuantity\.extension\[0\]: /)]);
  });

  it('reports each missing required element, and counts one present only through its _shadow', () => {
    const missing = changed('observation-ecg', (o) => {
      delete o.status;
      delete o.code;
      o.component[0].code = undefined;
    });
    const required = (r: Json): string[] => summary(validate(r)).filter((s) => s.startsWith('error required') && s.includes('Missing required'));
    expect(required(missing)).toEqual([
      "error required Observation.component[0].code: Missing required element 'code' (minimum cardinality 1) in Observation.component",
      "error required Observation.status: Missing required element 'status' (minimum cardinality 1) in Observation",
      "error required Observation.code: Missing required element 'code' (minimum cardinality 1) in Observation",
    ]);
    const shadow = changed('observation-ecg', (o) => {
      delete o.status;
      o._status = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] };
    });
    expect(required(shadow)).toEqual([]);
  });

  it('looks keys up by position per type without mixing objects up (a key seen before at another position, an unknown key)', () => {
    // type-model.ts shapeKeys: the keys of the last Coding are remembered by position; these Codings differ in order.
    const r = changed('observation-heart-rate', (o) => {
      o.code.coding = [
        { system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' },
        { code: 'hr', system: 'http://example.org/local' },
        { system: 'http://example.org/local', bogus: 'x', display: 'HR' },
        { system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' },
      ];
    });
    const out = summary(validate(r));
    expect(out.filter((s) => s.includes('Unknown element'))).toEqual(["error structure Observation.code.coding[2].bogus: Unknown element 'bogus' in Coding"]);
    expect(errors(validate(fixture('observation-heart-rate')))).toEqual([]);
  });

  it('checks an element under one key once, counted and per item, with a _shadow-only primitive counted', () => {
    // profile-check.ts singleKey: the value is read once for the count and the items.
    const noSubject = changed('observation-heart-rate', (o) => delete o.subject);
    const twoCategories = changed('observation-heart-rate', (o) => o.category.push({ text: 'other' }));
    const cardinality = (r: Json): string[] => summary(validate(r)).filter((s) => s.includes('heartrate') && /minimum required|maximum allowed/.test(s));
    expect(cardinality(noSubject)).toEqual([expect.stringMatching(/^error required Observation\.subject: Observation\.subject: minimum required = 1, but only found 0/)]);
    expect(cardinality(twoCategories)).toEqual([]);
    const noValue = changed('observation-heart-rate', (o) => delete o.valueQuantity.value);
    const shadowValue = changed('observation-heart-rate', (o) => {
      delete o.valueQuantity.value;
      o.valueQuantity._value = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] };
    });
    expect(cardinality(noValue)).toEqual([expect.stringMatching(/^error required Observation\.valueQuantity\.value: .*minimum required = 1, but only found 0/)]);
    expect(summary(validate(shadowValue))).toEqual(['information informational -: Validation successful']);
  });

  // The profile pass finds a choice element's value through the object's own keys (profile-check.ts presentKeys);
  // these pin what the walk over every key of value[x] reported: the value, a `_value` shadow alone, two values.
  describe('profile pass over value[x]', () => {
    const HR = 'http://hl7.org/fhir/StructureDefinition/heartrate';
    const notAllowed = (key: string): string[] => [
      `error structure Observation.${key}: Observation.value[x]: type string is not allowed here (allowed: Quantity) (profile ${HR})`,
      `error structure Observation.${key}: Observation.value[x]: this item matches none of the slices (valueQuantity) and the slicing is closed (profile ${HR})`,
    ];

    it('reports a value of a type the profile does not allow', () => {
      const r = changed('observation-heart-rate', (o) => {
        delete o.valueQuantity;
        o.valueString = '72';
      });
      expect(summary(validate(r))).toEqual(notAllowed('valueString'));
    });

    it('sees a primitive value present only through its _value shadow', () => {
      const r = changed('observation-heart-rate', (o) => {
        delete o.valueQuantity;
        o._valueString = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] };
      });
      const out = summary(validate(r));
      expect(out.slice(1)).toEqual(notAllowed('valueString'));
      expect(out[0]).toContain('vs-2');
    });

    it('checks each of two values, in definition order, after the base error', () => {
      const r = changed('observation-heart-rate', (o) => {
        o.valueString = '72';
      });
      expect(summary(validate(r))).toEqual([
        'error structure Observation.valueString: Only one of valueQuantity and valueString may be present: value[x] takes a single value',
        ...notAllowed('valueString'),
      ]);
    });

    it('checks an extension value[x] (50 types) against the extension definition', () => {
      const ordinal = (value: Json): Json =>
        changed('observation-heart-rate', (o) => {
          o.valueQuantity.extension = [{ url: 'http://hl7.org/fhir/StructureDefinition/ordinalValue', ...value }];
        });
      const typeError = (o: Json): string[] => summary(validate(o)).filter((s) => s.includes('Extension.value[x]'));
      expect(typeError(ordinal({ valueDecimal: 2 }))).toEqual([]);
      expect(typeError(ordinal({ valueString: '2' }))).toEqual([
        'error structure Observation.valueQuantity.extension[0].valueString: Extension.value[x]: type string is not allowed here (allowed: decimal) (profile http://hl7.org/fhir/StructureDefinition/ordinalValue)',
      ]);
      expect(typeError(ordinal({ valueDecimal: 2, valueString: '2' }))).toHaveLength(1);
    });
  });
});
