import type { Encounter, Patient, Practitioner, Resource } from 'fhir/r4';

/** Identifier system of the sandbox EHR's medical record numbers. */
export const SANDBOX_MRN_SYSTEM = 'urn:iomt-bridge:sandbox:mrn';

/** The user every sandbox login signs in as (its `fhirUser` is `<fhir base>/Practitioner/prac-1`). */
export const SANDBOX_PRACTITIONER_ID = 'prac-1';

function patient(id: string, mrn: string, family: string, given: string, birthDate: string, gender: Patient['gender']): Patient {
  return {
    resourceType: 'Patient',
    id,
    identifier: [{ use: 'usual', type: { text: 'MRN' }, system: SANDBOX_MRN_SYSTEM, value: mrn }],
    active: true,
    name: [{ use: 'official', family, given: [given] }],
    gender,
    birthDate,
  };
}

/**
 * The sample records a fresh sandbox holds. `example` is the patient the bridge's own sample mappings
 * reference (`Patient/example`), so readings pushed from the walkthrough land on a patient the EHR knows.
 */
export function sampleResources(): Resource[] {
  const practitioner: Practitioner = {
    resourceType: 'Practitioner',
    id: SANDBOX_PRACTITIONER_ID,
    identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '9941339108' }],
    name: [{ family: 'Okoye', given: ['Dana'], prefix: ['Dr.'] }],
  };
  const encounter: Encounter = {
    resourceType: 'Encounter',
    id: 'enc-1',
    status: 'in-progress',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
    subject: { reference: 'Patient/example' },
  };
  return [
    patient('example', 'MRN-0001', 'Rivera', 'Ada', '1958-04-12', 'female'),
    patient('pat-2', 'MRN-0002', 'Okafor', 'Ben', '1971-09-30', 'male'),
    patient('pat-3', 'MRN-0003', 'Li', 'Chen', '1989-01-05', 'other'),
    practitioner,
    encounter,
  ];
}
