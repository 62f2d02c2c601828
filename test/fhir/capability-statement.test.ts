import { capabilityStatement } from '../../src/fhir';
import { DEVICE_SEARCH_PARAMETERS, OBSERVATION_SEARCH_PARAMETERS } from '../../src/fhir';

const now = new Date('2024-05-01T12:00:00Z');
const make = (security = {}) => capabilityStatement({ baseUrl: 'http://host/fhir', softwareVersion: '1.2.3', now, security });
const OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';

describe('capabilityStatement', () => {
  it('describes an active R4 JSON server instance', () => {
    expect(make()).toMatchObject({
      resourceType: 'CapabilityStatement',
      status: 'active',
      kind: 'instance',
      fhirVersion: '4.0.1',
      date: '2024-05-01T12:00:00.000Z',
      software: { name: 'iomt-bridge', version: '1.2.3' },
      implementation: { url: 'http://host/fhir' },
    });
    expect(make().format).toContain('json');
    expect(make().rest).toHaveLength(1);
    expect(make().rest?.[0]?.mode).toBe('server');
  });

  it('declares the SMART-on-FHIR security service, with oauth-uris only when endpoints are given', () => {
    const plain = make().rest?.[0]?.security;
    expect(plain?.service?.[0]?.coding?.[0]).toMatchObject({
      system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
      code: 'SMART-on-FHIR',
    });
    expect(plain?.extension).toBeUndefined();
    const withUris = make({ tokenEndpoint: 'http://as/token', authorizeEndpoint: 'http://as/authorize' }).rest?.[0]?.security;
    expect(withUris?.extension).toEqual([
      {
        url: OAUTH_URIS,
        extension: [
          { url: 'token', valueUri: 'http://as/token' },
          { url: 'authorize', valueUri: 'http://as/authorize' },
        ],
      },
    ]);
  });

  it('lists exactly Device and Observation with read and search-type', () => {
    const resources = make().rest?.[0]?.resource ?? [];
    expect(resources.map((r) => r.type)).toEqual(['Device', 'Observation']);
    for (const r of resources) expect(r.interaction).toEqual([{ code: 'read' }, { code: 'search-type' }]);
    expect(make().rest?.[0]?.interaction).toBeUndefined();
    expect(make().rest?.[0]?.operation).toBeUndefined();
  });

  it.each([
    ['Observation', 'patient', 'reference', 'http://hl7.org/fhir/SearchParameter/clinical-patient'],
    ['Observation', 'subject', 'reference', 'http://hl7.org/fhir/SearchParameter/Observation-subject'],
    ['Observation', 'code', 'token', 'http://hl7.org/fhir/SearchParameter/clinical-code'],
    ['Observation', 'date', 'date', 'http://hl7.org/fhir/SearchParameter/clinical-date'],
    ['Observation', 'device', 'reference', 'http://hl7.org/fhir/SearchParameter/Observation-device'],
    ['Observation', 'category', 'token', 'http://hl7.org/fhir/SearchParameter/Observation-category'],
    ['Device', 'identifier', 'token', 'http://hl7.org/fhir/SearchParameter/Device-identifier'],
    ['Device', 'patient', 'reference', 'http://hl7.org/fhir/SearchParameter/Device-patient'],
  ])('%s.%s is a %s parameter defined by %s', (type, name, paramType, definition) => {
    const resource = make().rest?.[0]?.resource?.find((r) => r.type === type);
    expect(resource?.searchParam?.find((p) => p.name === name)).toMatchObject({ type: paramType, definition });
  });

  it.each([
    ['Observation', OBSERVATION_SEARCH_PARAMETERS],
    ['Device', DEVICE_SEARCH_PARAMETERS],
  ])('lists for %s exactly the parameters the parser accepts (but _format)', (type, accepted) => {
    const resource = make().rest?.[0]?.resource?.find((r) => r.type === type);
    const listed = (resource?.searchParam ?? []).map((p) => p.name).sort();
    expect(listed).toEqual([...accepted].filter((n) => n !== '_format').sort());
  });
});
