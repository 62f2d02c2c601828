import type { Observation } from 'fhir/r4';
import { formatValue, latestReadings, samples, vitalTrends, waveforms } from '../../src/app/readings';
import { waveformChart } from '../../src/app/charts';
import { esc } from '../../src/app/html';

const LOINC = 'http://loinc.org';
const VITALS = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }];
const mmHg = (value: number) => ({ value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' });

const bp = (t: string, sys: number, dia: number): Observation => ({
  resourceType: 'Observation', status: 'final', category: VITALS, effectiveDateTime: t,
  code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel' }] },
  component: [
    { code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic' }] }, valueQuantity: mmHg(sys) },
    { code: { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolic' }] }, valueQuantity: mmHg(dia) },
  ],
});

it.each([
  [bp('2024-01-01T10:00:00Z', 128, 82), '128/82 mmHg'],
  [{ resourceType: 'Observation', status: 'final', code: {}, valueQuantity: { value: 37, code: 'Cel', unit: 'Cel' } } as Observation, '37 °C'],
  [{ resourceType: 'Observation', status: 'final', code: {}, valueString: 'irregular' } as Observation, 'irregular'],
  [{ resourceType: 'Observation', status: 'final', code: {} } as Observation, '—'],
])('formatValue %#', (o, expected) => {
  expect(formatValue(o)).toBe(expected);
});

it('keeps the newest reading per code', () => {
  const readings = latestReadings([bp('2024-01-01T10:00:00Z', 120, 80), bp('2024-01-01T12:00:00+02:00', 130, 85), bp('2024-01-01T09:00:00Z', 110, 70)]);
  expect(readings.map((r) => [r.value, r.time])).toEqual([['120/80 mmHg', '2024-01-01T10:00:00Z']]);
});

it('turns a panel into one trend with a series per component, oldest first', () => {
  const [trend] = vitalTrends([bp('2024-01-01T11:00:00Z', 130, 85), bp('2024-01-01T10:00:00Z', 120, 80)]);
  expect(trend?.series.map((s) => [s.label, s.unit, s.points.map((p) => p.v)])).toEqual([['Systolic', 'mmHg', [120, 130]], ['Diastolic', 'mmHg', [80, 85]]]);
});

it('reads SampledData with origin and factor; E, L and U are gaps; the first channel of several', () => {
  const data = { origin: { value: 1, code: 'mV' }, factor: 0.5, period: 4, dimensions: 1, data: '2 E 4 L U 6' };
  expect(samples(data)).toEqual([2, null, 3, null, null, 4]);
  const o: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'Lead I' }, valueSampledData: { ...data, dimensions: 2 } };
  expect(waveforms([o])[0]?.values).toEqual([2, 3, null]);
  const single = waveforms([{ ...o, valueSampledData: data }])[0]!;
  expect(waveformChart(single, 'w').match(/<polyline/g)).toHaveLength(3); // gaps split the trace: [2] [3] [4]
});

it('escapes everything that reaches HTML', () => {
  expect(esc(`<img src=x onerror="a('b')">&`)).toBe('&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;');
});
