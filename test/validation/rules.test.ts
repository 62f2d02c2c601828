import { changed, errors, fixture, summary, validate, type Json } from './helpers';

/** The rules added for issue 4: extensions, references, Bundles, units, narrative, FHIRPath invariants. Table-driven. */

interface Case {
  name: string;
  resource: Json;
  code: string;
  expression: string;
  text?: RegExp;
}

const bundle = (type: string, entries: Json[], extra: Json = {}): Json => ({ resourceType: 'Bundle', type, entry: entries, ...extra });
const patient = (id: string): Json => ({ resourceType: 'Patient', id, active: true });

const invalid: Case[] = [
  // extensions — https://hl7.org/fhir/R4/extensibility.html
  { name: 'unknown extension outside the allowed domains', resource: changed('observation-ecg', (o) => (o.extension = [{ url: 'https://vendor.test/ext/colour', valueString: 'red' }])), code: 'structure', expression: 'Observation.extension[0]', text: /could not be found/ },
  { name: 'modifier extension used as an extension', resource: changed('device', (d) => (d.extension = [{ url: 'http://hl7.org/fhir/StructureDefinition/request-doNotPerform', valueBoolean: true }])), code: 'structure', expression: 'Device.extension[0]', text: /modifier/ },
  { name: 'extension in a context its definition does not allow', resource: { resourceType: 'Patient', name: [{ family: 'X', extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/humanname-mothers-family', valueString: 'Y' }] }] }, code: 'business-rule', expression: 'Patient.name[0].extension[0]', text: /HumanName.family/ },
  { name: 'extension value of a type its definition does not allow', resource: changed('observation-ecg', (o) => (o._status = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueString: 'unknown' }] })), code: 'structure', expression: 'Observation._status.extension[0].valueString' },
  // references — https://hl7.org/fhir/R4/references.html
  { name: 'reference to a type the element does not allow', resource: changed('observation-heart-rate', (o) => (o.subject = { reference: 'Medication/m1' })), code: 'structure', expression: 'Observation.subject', text: /Found Medication/ },
  { name: 'reference type that is not a resource type', resource: changed('observation-heart-rate', (o) => (o.subject = { reference: 'patient/1' })), code: 'structure', expression: 'Observation.subject', text: /not a resource type/ },
  { name: 'local reference with no contained resource (ref-1)', resource: changed('observation-heart-rate', (o) => (o.subject = { reference: '#p1' })), code: 'invariant', expression: 'Observation.subject', text: /ref-1/ },
  { name: 'contained resource nobody references (dom-3)', resource: changed('observation-heart-rate', (o) => (o.contained = [patient('p1')])), code: 'invariant', expression: 'Observation', text: /dom-3/ },
  { name: 'unresolved reference inside a document', resource: bundle('document', [{ fullUrl: 'urn:uuid:1a5ad3fe-0e2a-4d3c-9d43-4f4a4e3b2c11', resource: { resourceType: 'Composition', status: 'final', type: { text: 'x' }, date: '2024-01-01', author: [{ reference: 'Practitioner/nowhere' }], title: 't' } }], { identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0' }, timestamp: '2024-01-01T00:00:00Z' }), code: 'not-found', expression: 'Bundle.entry[0].resource.author[0]' },
  // Bundle rules — https://hl7.org/fhir/R4/bundle.html
  { name: 'relative fullUrl', resource: bundle('collection', [{ fullUrl: 'Patient/1', resource: patient('1') }]), code: 'invalid', expression: 'Bundle.entry[0].fullUrl' },
  { name: 'link relation twice', resource: bundle('searchset', [], { link: [{ relation: 'self', url: 'http://x/a' }, { relation: 'self', url: 'http://x/b' }] }), code: 'invalid', expression: 'Bundle.link[1]' },
  { name: 'search match without id', resource: bundle('searchset', [{ fullUrl: 'http://x/Patient/1', resource: { resourceType: 'Patient', active: true }, search: { mode: 'match' } }]), code: 'required', expression: 'Bundle.entry[0].resource' },
  // Coding.system — https://hl7.org/fhir/R4/datatypes-definitions.html#Coding.system
  { name: 'Coding.system that is a value set', resource: changed('observation-heart-rate', (o) => (o.code.coding[0].system = 'http://hl7.org/fhir/ValueSet/observation-codes')), code: 'invalid', expression: 'Observation.code.coding[0].system', text: /value set/ },
  { name: 'relative Coding.system', resource: changed('observation-heart-rate', (o) => (o.code.coding[0].system = 'loinc')), code: 'invalid', expression: 'Observation.code.coding[0].system', text: /absolute/ },
  // UCUM — https://hl7.org/fhir/R4/datatypes.html#Quantity
  { name: 'Quantity with an invalid UCUM code', resource: changed('observation-body-temperature', (o) => (o.valueQuantity.code = 'degC!')), code: 'code-invalid', expression: 'Observation.valueQuantity.code', text: /UCUM/ },
  // narrative — https://hl7.org/fhir/R4/narrative.html#xhtml
  { name: 'narrative with a script (txt-1)', resource: changed('observation-heart-rate', (o) => (o.text = { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><script>x()</script>hi</div>' })), code: 'invariant', expression: 'Observation.text.div', text: /txt-1/ },
  { name: 'narrative with an event attribute (txt-1)', resource: changed('observation-heart-rate', (o) => (o.text = { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">hi</p></div>' })), code: 'invariant', expression: 'Observation.text.div', text: /txt-1/ },
  { name: 'empty narrative (txt-2)', resource: changed('observation-heart-rate', (o) => (o.text = { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"> <p> </p></div>' })), code: 'invariant', expression: 'Observation.text.div', text: /txt-2/ },
  // FHIRPath invariants through fhirpath.js (not native)
  { name: 'Timing.repeat duration without unit (tim-1, fhirpath.js)', resource: { resourceType: 'MedicationRequest', status: 'active', intent: 'order', medicationCodeableConcept: { text: 'x' }, subject: { reference: 'Patient/1' }, dosageInstruction: [{ timing: { repeat: { duration: 5 } } }] }, code: 'invariant', expression: 'MedicationRequest.dosageInstruction[0].timing.repeat', text: /tim-1/ },
  { name: 'Period end before start (per-1, fhirpath.js)', resource: changed('observation-heart-rate', (o) => { delete o.effectiveDateTime; o.effectivePeriod = { start: '2024-01-02', end: '2024-01-01' }; }), code: 'invariant', expression: 'Observation.effectivePeriod', text: /per-1/ },
  { name: 'Period end before start, zoned instants (per-1, native)', resource: changed('observation-heart-rate', (o) => { delete o.effectiveDateTime; o.effectivePeriod = { start: '2024-01-01T10:00:00+01:00', end: '2024-01-01T08:59:59Z' }; }), code: 'invariant', expression: 'Observation.effectivePeriod', text: /per-1/ },
  { name: 'Period end before start, mixed precision (per-1, fhirpath.js)', resource: changed('observation-heart-rate', (o) => { delete o.effectiveDateTime; o.effectivePeriod = { start: '2024-01-02T10:00:00Z', end: '2024-01-01' }; }), code: 'invariant', expression: 'Observation.effectivePeriod', text: /per-1/ },
];

describe('rules that reject', () => {
  it.each(invalid.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const found = errors(validate(c.resource));
    const hit = found.find((i) => i.code === c.code && i.expression?.[0] === c.expression);
    expect({ hit: hit !== undefined, all: summary(validate(c.resource)) }).toEqual({ hit: true, all: expect.any(Array) });
    if (c.text) expect(hit?.diagnostics).toMatch(c.text);
  });
});

const valid: Array<[string, Json]> = [
  ['a known HL7 extension in its context', changed('observation-heart-rate', (o) => (o._status = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] }))],
  ['a cross-version extension (defined by rule)', changed('observation-heart-rate', (o) => (o.extension = [{ url: 'http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.triggeredBy', valueString: 'x' }]))],
  ['a contained resource that is referenced', changed('observation-heart-rate', (o) => { o.contained = [patient('p1')]; o.subject = { reference: '#p1' }; })],
  ['a transaction whose urn:uuid reference points outside (allowed)', bundle('transaction', [{ fullUrl: 'urn:uuid:6b1b0bd2-2e3e-4b7d-8b7e-0d6f1c5a1a01', resource: changed('observation-heart-rate', (o) => (o.subject = { reference: 'urn:uuid:6b1b0bd2-2e3e-4b7d-8b7e-0d6f1c5a1a02' })), request: { method: 'POST', url: 'Observation' } }])],
  ['a narrative with single-quoted xmlns and a no-break space', changed('observation-heart-rate', (o) => (o.text = { status: 'generated', div: "<div xmlns='http://www.w3.org/1999/xhtml'>Heart rate\u00a0<b>44</b></div>" }))],
  ['a UCUM unit with annotations', { resourceType: 'Observation', status: 'final', code: { text: 'steps' }, valueQuantity: { value: 3, system: 'http://unitsofmeasure.org', code: '{steps}/min' } }],
];

describe('rules that accept', () => {
  it.each(valid)('%s', (_name, r) => {
    expect(summary({ resourceType: 'OperationOutcome', issue: errors(validate(r)) })).toEqual([]);
  });

  it('reports an unknown HL7-namespace extension as a warning (its package is not available offline)', () => {
    const r = changed('observation-heart-rate', (o) => (o.extension = [{ url: 'http://hl7.org/fhir/StructureDefinition/not-in-r4-core', valueString: 'x' }]));
    const o = validate(r);
    expect(errors(o)).toEqual([]);
    expect(o.issue).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'not-supported', expression: ['Observation.extension[0]'] }));
  });

  it('keeps the fixture untouched (sanity of the table)', () => {
    expect(fixture('observation-heart-rate').subject).toEqual({ reference: 'Patient/example' });
  });
});
