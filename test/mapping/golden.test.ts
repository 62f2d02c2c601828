import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMappings, selectMapping, type MapOutput } from '../../src/mapping';

// Golden tests: every example payload of every family in mappings/ is mapped with a fixed device context and
// deep-compared with its hand-checked expected/<same name>.json ({device, observations}).
const ROOT = join(__dirname, '..', '..', 'mappings');
const mappings = loadMappings(ROOT);
const families = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

const cases = families.flatMap((family) =>
  readdirSync(join(ROOT, family, 'examples'))
    .filter((f) => f.endsWith('.json'))
    .map((example) => ({ family, example })),
);

describe('golden mappings', () => {
  it('has the eight families, each with at least two examples, one of them carrying a message id', () => {
    expect(families.sort()).toEqual(['bedside-monitor', 'bp-cuff', 'ecg-patch', 'glucose-meter', 'pulse-oximeter', 'stethoscope', 'thermometer', 'weight-scale']);
    for (const family of families) {
      const mine = cases.filter((c) => c.family === family);
      expect(mine.length).toBeGreaterThanOrEqual(2);
      const ids = mine.map((c) => (mappings.find((m) => m.id === family)?.map({
        payload: readJson(join(ROOT, family, 'examples', c.example)),
        device: { deviceId: 'x', patient: 'Patient/p' },
      }).observations[0]?.identifier?.[0]?.value ?? '').split('/')[1]);
      // A message id never looks like a UTC timestamp; at least one example must use one.
      expect(ids.some((k) => k !== undefined && !/^\d{4}-\d{2}-\d{2}T/.test(k))).toBe(true);
    }
  });

  it.each(cases)('$family/$example maps to expected/$example', ({ family, example }) => {
    const payload = readJson(join(ROOT, family, 'examples', example));
    const mapping = selectMapping(mappings, payload);
    expect(mapping.id).toBe(family);
    const out: MapOutput = mapping.map({ payload, device: { deviceId: `dev-${family}-1`, patient: 'Patient/example' } });
    expect(out).toEqual(readJson(join(ROOT, family, 'expected', example)));
    // Byte-identical on a second run (deterministic ids, key order, no clock).
    const again = mapping.map({ payload, device: { deviceId: `dev-${family}-1`, patient: 'Patient/example' } });
    expect(JSON.stringify(again)).toBe(JSON.stringify(out));
  });

  it('every vital-signs Observation carries what the R4 vital-signs profiles require', () => {
    // The units the R4 vital-signs profiles fix per LOINC code. See: https://hl7.org/fhir/R4/observation-vitalsigns.html
    const fixed: Record<string, string> = { '2708-6': '%', '8867-4': '/min', '9279-1': '/min', '8310-5': 'Cel', '29463-7': 'kg', '39156-5': 'kg/m2' };
    for (const { family, example } of cases) {
      const { observations } = readJson(join(ROOT, family, 'expected', example)) as MapOutput;
      for (const o of observations.filter((x) => x.category?.[0]?.coding?.[0]?.code === 'vital-signs')) {
        expect(o.category?.[0]?.coding?.[0]?.system).toBe('http://terminology.hl7.org/CodeSystem/observation-category');
        expect(o.subject?.reference).toMatch(/^Patient\//);
        expect(o.effectiveDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
        const code = o.code.coding?.[0]?.code as string;
        const quantities = o.valueQuantity ? [o.valueQuantity] : (o.component ?? []).map((c) => c.valueQuantity);
        for (const q of quantities) {
          expect(q?.system).toBe('http://unitsofmeasure.org');
          expect(q?.code).toBe(fixed[code] ?? 'mm[Hg]');
          expect(q?.unit).toBe(q?.code);
        }
      }
    }
  });
});
