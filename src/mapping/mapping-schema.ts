/**
 * JSON Schema (draft-07) of a mapping file. It describes the SHAPE (keys, types, enums); rules that combine
 * keys ("exactly one of path/expression/const", "value or components") are checked by the compiler, which
 * can say more helpful things than a schema validator. schema/mapping.schema.json is this object written out
 * for editors (`# yaml-language-server: $schema=...`); a test keeps the two identical.
 * See: https://json-schema.org/draft-07/json-schema-validation
 */

const str = { type: 'string', minLength: 1 } as const;
const scalar = { type: ['string', 'number', 'boolean', 'null'] } as const;

/** Keys that say where a value comes from; `language` leaves room for JMESPath etc. later. */
const sourceKeys = {
  path: { ...str, pattern: '^\\$', description: 'JSONPath subset: $, .name, [\'name\'], [index]' },
  expression: { ...str, description: 'An expression in `language` (today only jsonpath).' },
  language: { enum: ['jsonpath'], default: 'jsonpath' },
  const: { ...scalar, description: 'A constant instead of a value from the payload.' },
} as const;

const source = {
  description: 'A JSONPath string, or an object with exactly one of path / expression / const.',
  anyOf: [
    { ...str, pattern: '^\\$' },
    { type: 'object', additionalProperties: false, properties: sourceKeys },
  ],
} as const;

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
      properties: {
        serial: { $ref: '#/definitions/source' },
        manufacturer: { $ref: '#/definitions/source' },
        model: { $ref: '#/definitions/source' },
        firmware: { $ref: '#/definitions/source' },
        type: { $ref: '#/definitions/coding' },
      },
    },
    observations: { type: 'array', minItems: 1, items: { $ref: '#/definitions/observation' } },
  },
  definitions: {
    source,
    coding: {
      type: 'object',
      additionalProperties: false,
      required: ['system', 'code'],
      properties: { system: str, code: str, display: str },
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
        all: { type: 'array', minItems: 1, items: { $ref: '#/definitions/match' } },
        any: { type: 'array', minItems: 1, items: { $ref: '#/definitions/match' } },
        not: { $ref: '#/definitions/match' },
      },
    },
    timestamp: {
      anyOf: [
        { ...str, pattern: '^\\$' },
        {
          type: 'object',
          additionalProperties: false,
          properties: { ...sourceKeys, format: { enum: ['iso8601', 'epoch-s', 'epoch-ms'], default: 'iso8601' } },
        },
      ],
    },
    observation: {
      type: 'object',
      additionalProperties: false,
      required: ['code'],
      properties: {
        code: { $ref: '#/definitions/coding' },
        category: {
          enum: ['social-history', 'vital-signs', 'imaging', 'laboratory', 'procedure', 'survey', 'exam', 'therapy', 'activity'],
        },
        profile: { ...str, format: 'uri' },
        optional: { type: 'boolean', default: false, description: 'Skip (instead of failing) when the value is absent.' },
        value: { $ref: '#/definitions/value' },
        components: { type: 'array', minItems: 1, items: { $ref: '#/definitions/component' } },
      },
    },
    component: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'value'],
      properties: { code: { $ref: '#/definitions/coding' }, optional: { type: 'boolean' }, value: { $ref: '#/definitions/value' } },
    },
    value: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
      properties: { quantity: { $ref: '#/definitions/quantity' }, sampledData: { $ref: '#/definitions/sampledData' } },
    },
    quantity: {
      type: 'object',
      additionalProperties: false,
      required: ['unit'],
      properties: {
        ...sourceKeys,
        unit: { ...str, description: 'UCUM code of the output (valueQuantity.code and .unit).' },
        from: { ...str, description: 'UCUM code the device sends; converted to `unit` (needs `decimals`).' },
        decimals: { type: 'integer', minimum: 0, maximum: 12 },
      },
    },
    sampledData: {
      type: 'object',
      additionalProperties: false,
      required: ['origin'],
      properties: {
        ...sourceKeys,
        origin: {
          type: 'object',
          additionalProperties: false,
          required: ['value', 'unit'],
          properties: { value: { type: 'number' }, unit: str },
        },
        periodMs: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { ...str, pattern: '^\\$' }] },
        frequencyHz: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { ...str, pattern: '^\\$' }] },
        factor: { type: 'number' },
        lowerLimit: { type: 'number' },
        upperLimit: { type: 'number' },
        dimensions: { type: 'integer', minimum: 1, default: 1 },
      },
    },
  },
} as const;
