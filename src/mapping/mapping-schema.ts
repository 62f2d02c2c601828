/**
 * JSON Schema (draft-07) of a mapping file. It describes the SHAPE (keys, types, enums); rules that combine
 * keys ("exactly one of path/expression/const", "value or components") are checked by the compiler, which
 * can say more helpful things than a schema validator. schema/mapping.schema.json is this object written out
 * for editors (`# yaml-language-server: $schema=...`); a test keeps the two identical.
 * See: https://json-schema.org/draft-07/json-schema-validation
 */

const str = { type: 'string', minLength: 1 } as const;
const scalar = { type: ['string', 'number', 'boolean', 'null'] } as const;
const pathString = { ...str, pattern: '^[$@]', description: 'JSONPath subset from the item ($) or the current reading (@): .name, [\'name\'], [index]' } as const;

/** Keys that say where a value comes from. */
const sourceKeys = {
  path: pathString,
  expression: { ...str, description: 'A JSONPath (full: filters, wildcards, ..) or JMESPath expression, per `language`; must select one value.' },
  language: { enum: ['jsonpath', 'jmespath'], default: 'jsonpath' },
  const: { ...scalar, description: 'A constant instead of a value from the payload.' },
} as const;

const source = {
  description: 'A path string, or an object with exactly one of path / expression / const.',
  anyOf: [pathString, { type: 'object', additionalProperties: false, properties: sourceKeys }],
} as const;

const profiles = { anyOf: [{ ...str, format: 'uri' }, { type: 'array', minItems: 1, items: { ...str, format: 'uri' } }] } as const;
const codes = { anyOf: [{ $ref: '#/definitions/coding' }, { type: 'array', minItems: 1, items: { $ref: '#/definitions/coding' } }] } as const;
const absent = { enum: ['skip', 'error', 'data-absent-reason'], description: 'When the value is absent: leave it out, fail (default), or send dataAbsentReason.' } as const;
const simple = { type: 'object', additionalProperties: false, properties: sourceKeys } as const;

const deviceProperties = Object.fromEntries(
  ['serial', 'manufacturer', 'model', 'firmware', 'hardware', 'software', 'mac', 'systemId', 'udi', 'udiDeviceIdentifier'].map((k) => [k, { $ref: '#/definitions/source' }]),
);

export const MAPPING_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:iomt-bridge:schema:mapping',
  title: 'iomt-bridge device mapping',
  description: 'Maps one device family\'s raw JSON payloads to FHIR R4 Device and Observations. See docs/mappings.md.',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'title', 'match', 'message', 'observations'],
  properties: {
    $schema: { type: 'string' },
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: 'Unique mapping id (kebab-case).' },
    title: str,
    description: { type: 'string' },
    match: { $ref: '#/definitions/match' },
    timezone: { ...str, description: 'IANA zone for timestamps without a UTC offset, e.g. Europe/Berlin.' },
    each: { $ref: '#/definitions/source', description: 'Many readings per payload: an expression selecting them (e.g. $.readings[*]); `@` is the reading.' },
    message: {
      type: 'object',
      additionalProperties: false,
      required: ['timestamp'],
      properties: { id: { $ref: '#/definitions/source' }, timestamp: { $ref: '#/definitions/timestamp' } },
    },
    subject: {
      description: '"registry" (default): the patient linked to the device; or where the payload names the patient.',
      anyOf: [{ const: 'registry' }, { $ref: '#/definitions/source' }],
    },
    device: {
      type: 'object',
      additionalProperties: false,
      properties: { ...deviceProperties, type: codes, profile: profiles },
    },
    observations: { type: 'array', minItems: 1, items: { $ref: '#/definitions/observation' } },
  },
  definitions: {
    source,
    coding: {
      type: 'object',
      additionalProperties: false,
      required: ['system', 'code'],
      properties: { system: { ...str, format: 'uri' }, code: str, display: str },
    },
    match: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        ...sourceKeys,
        equals: scalar,
        in: { type: 'array', minItems: 1, items: scalar },
        exists: { type: 'boolean' },
        topic: { ...str, description: 'MQTT topic filter: + is one level, # the rest (e.g. wards/+/bp/#).' },
        all: { type: 'array', minItems: 1, items: { $ref: '#/definitions/match' } },
        any: { type: 'array', minItems: 1, items: { $ref: '#/definitions/match' } },
        not: { $ref: '#/definitions/match' },
      },
    },
    timestamp: {
      anyOf: [
        pathString,
        { type: 'object', additionalProperties: false, properties: { ...sourceKeys, format: { enum: ['iso8601', 'epoch-s', 'epoch-ms'], default: 'iso8601' } } },
      ],
    },
    observation: {
      type: 'object',
      additionalProperties: false,
      required: ['code'],
      properties: {
        code: codes,
        category: { enum: ['social-history', 'vital-signs', 'imaging', 'laboratory', 'procedure', 'survey', 'exam', 'therapy', 'activity'] },
        profile: profiles,
        method: { $ref: '#/definitions/coding' },
        bodySite: { $ref: '#/definitions/coding' },
        when: { $ref: '#/definitions/match' },
        optional: { type: 'boolean', default: false, description: 'Same as absent: skip.' },
        absent,
        period: {
          type: 'object', additionalProperties: false, required: ['start', 'end'],
          properties: { start: { $ref: '#/definitions/timestamp' }, end: { $ref: '#/definitions/timestamp' } },
        },
        value: { $ref: '#/definitions/value' },
        components: { type: 'array', minItems: 1, items: { $ref: '#/definitions/component' } },
      },
    },
    component: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'value'],
      properties: { code: codes, optional: { type: 'boolean' }, absent, value: { $ref: '#/definitions/value' } },
    },
    value: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
      properties: {
        quantity: { $ref: '#/definitions/quantity' },
        sampledData: { $ref: '#/definitions/sampledData' },
        codeableConcept: { $ref: '#/definitions/codeableConcept' },
        string: simple,
        boolean: simple,
        integer: simple,
        dateTime: { type: 'object', additionalProperties: false, properties: { ...sourceKeys, format: { enum: ['iso8601', 'epoch-s', 'epoch-ms'] } } },
        range: { type: 'object', additionalProperties: false, minProperties: 1, properties: { low: { $ref: '#/definitions/quantity' }, high: { $ref: '#/definitions/quantity' } } },
        ratio: { type: 'object', additionalProperties: false, required: ['numerator', 'denominator'], properties: { numerator: { $ref: '#/definitions/quantity' }, denominator: { $ref: '#/definitions/quantity' } } },
      },
    },
    quantity: {
      type: 'object',
      additionalProperties: false,
      required: ['unit'],
      properties: {
        ...sourceKeys,
        unit: { ...str, description: 'UCUM code of the output (valueQuantity.code and .unit).' },
        from: {
          description: 'UCUM code the device sends, or where the payload says its unit ({path, units: {deviceUnit: UCUM}}); converted to `unit` (needs `decimals`).',
          anyOf: [str, { type: 'object', additionalProperties: false, required: ['units'], properties: { ...sourceKeys, units: { type: 'object', minProperties: 1, additionalProperties: str } } }],
        },
        decimals: { type: 'integer', minimum: 0, maximum: 12 },
        molarMass: { type: 'number', exclusiveMinimum: 0, description: 'g/mol, for mg/dL ↔ mmol/L (glucose: 180.156).' },
      },
    },
    sampledData: {
      type: 'object',
      additionalProperties: false,
      required: ['origin'],
      properties: {
        ...sourceKeys,
        origin: { type: 'object', additionalProperties: false, required: ['value', 'unit'], properties: { value: { type: 'number' }, unit: str } },
        periodMs: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, pathString] },
        frequencyHz: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, pathString] },
        factor: { type: 'number' },
        lowerLimit: { type: 'number' },
        upperLimit: { type: 'number' },
        dimensions: { type: 'integer', minimum: 1, default: 1 },
      },
    },
    codeableConcept: {
      type: 'object',
      additionalProperties: false,
      required: ['map'],
      properties: {
        ...sourceKeys,
        map: { type: 'object', minProperties: 1, additionalProperties: { $ref: '#/definitions/coding' }, description: 'Device value (as text) → coding (LOINC, SNOMED CT, MDC…).' },
        default: { $ref: '#/definitions/coding' },
        text: str,
      },
    },
  },
} as const;
