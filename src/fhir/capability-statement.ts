import type {
  CapabilityStatement,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceSearchParam,
  CapabilityStatementRestSecurity,
  Extension,
} from 'fhir/r4';

/** Input of {@link capabilityStatement}. */
export interface CapabilityOptions {
  /** FHIR base, e.g. `http://host/fhir`. */
  baseUrl: string;
  softwareVersion: string;
  /** Date of the statement (injected: this stage reads no clock). */
  now: Date;
  security: { tokenEndpoint?: string; authorizeEndpoint?: string };
}

const SEARCH_PARAMETER = 'http://hl7.org/fhir/SearchParameter/';

/** `_count`/`_offset` are result parameters, not SearchParameters: listed with documentation, no definition. */
const PAGING: CapabilityStatementRestResourceSearchParam[] = [
  { name: '_count', type: 'number', documentation: 'Page size; larger values are reduced to the server maximum.' },
  { name: '_offset', type: 'number', documentation: 'Paging cursor; follow the Bundle next/previous links.' },
];

/**
 * What the server implements — and nothing else: read and search-type on Device and Observation with exactly
 * the search parameters src/fhir parses (definitions are the R4 canonical SearchParameters), JSON only,
 * SMART-on-FHIR security. See: https://hl7.org/fhir/R4/capabilitystatement.html and
 * https://hl7.org/fhir/smart-app-launch/STU2.2/conformance.html
 */
export function capabilityStatement(options: CapabilityOptions): CapabilityStatement {
  const base = options.baseUrl.replace(/\/+$/, '');
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: options.now.toISOString(),
    kind: 'instance',
    software: { name: 'iomt-bridge', version: options.softwareVersion },
    implementation: { description: 'iomt-bridge FHIR R4 API', url: base },
    fhirVersion: '4.0.1',
    format: ['json', 'application/fhir+json'],
    rest: [{ mode: 'server', security: security(options.security), resource: [DEVICE, OBSERVATION] }],
  };
}

const DEVICE: CapabilityStatementRestResource = {
  type: 'Device',
  interaction: [{ code: 'read' }, { code: 'search-type' }],
  searchParam: [
    { name: 'identifier', type: 'token', definition: `${SEARCH_PARAMETER}Device-identifier` },
    { name: 'patient', type: 'reference', definition: `${SEARCH_PARAMETER}Device-patient` },
    ...PAGING,
  ],
};

const OBSERVATION: CapabilityStatementRestResource = {
  type: 'Observation',
  interaction: [{ code: 'read' }, { code: 'search-type' }],
  searchParam: [
    // R4 defines Observation's patient, code and date through the shared clinical-* parameters.
    { name: 'patient', type: 'reference', definition: `${SEARCH_PARAMETER}clinical-patient` },
    {
      name: 'subject',
      type: 'reference',
      definition: `${SEARCH_PARAMETER}Observation-subject`,
      documentation: 'Patient references only.',
    },
    { name: 'code', type: 'token', definition: `${SEARCH_PARAMETER}clinical-code` },
    {
      name: 'date',
      type: 'date',
      definition: `${SEARCH_PARAMETER}clinical-date`,
      documentation: 'Prefixes eq, ne, gt, lt, ge, le; values without a time-zone offset are read as UTC.',
    },
    { name: 'device', type: 'reference', definition: `${SEARCH_PARAMETER}Observation-device` },
    { name: 'category', type: 'token', definition: `${SEARCH_PARAMETER}Observation-category` },
    { name: '_sort', type: 'special', documentation: "'date' or '-date' (effective time) only." },
    ...PAGING,
  ],
};

function security(endpoints: CapabilityOptions['security']): CapabilityStatementRestSecurity {
  const result: CapabilityStatementRestSecurity = {
    service: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
            code: 'SMART-on-FHIR',
            display: 'SMART-on-FHIR',
          },
        ],
        text: 'OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)',
      },
    ],
  };
  const uris: Extension[] = [];
  if (endpoints.tokenEndpoint !== undefined) uris.push({ url: 'token', valueUri: endpoints.tokenEndpoint });
  if (endpoints.authorizeEndpoint !== undefined) uris.push({ url: 'authorize', valueUri: endpoints.authorizeEndpoint });
  if (uris.length > 0) {
    // See: https://hl7.org/fhir/smart-app-launch/STU2.2/conformance.html (deprecated but still read by clients)
    result.extension = [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: uris }];
  }
  return result;
}
