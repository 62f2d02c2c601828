import { FhirError } from '../errors/fhir-error';
import { compileSource, isAbsent, type Extractor } from './compile-source';
import type { CompileContext } from './compile-context';
import type { DocPath } from './parse-mapping-text';
import type { SourceSpec } from './mapping-document';
import type { RunIssues } from './run-issues';

export const ERR_PATIENT_UNRESOLVED = 'ERR_PATIENT_UNRESOLVED';
export const ERR_PATIENT_MISMATCH = 'ERR_PATIENT_MISMATCH';

/** Resolves `Patient/ID` for a payload; throws FhirError (422) rather than ever dropping a reading. */
export type SubjectResolver = (run: RunIssues, registryPatient: string | undefined) => string;

// FHIR id: [A-Za-z0-9\-\.]{1,64}. See: https://hl7.org/fhir/R4/datatypes.html#id
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * `registry` (default): the patient the registry links to the device. A payload source: the payload names the
 * patient (`Patient/ID` or a bare id); the registry link still applies when the payload has none, and when both
 * name a patient they must agree — a device must not re-route readings to another patient's chart.
 */
export function compileSubject(spec: 'registry' | SourceSpec | undefined, at: DocPath, ctx: CompileContext): SubjectResolver {
  const src = spec === undefined || spec === 'registry' ? undefined : compileSource(spec, at, ctx);
  return (issues, registryPatient) => {
    const fromPayload = src ? payloadPatient(src, issues) : undefined;
    if (fromPayload && registryPatient && fromPayload !== registryPatient) {
      throw FhirError.of(ERR_PATIENT_MISMATCH, {
        code: 'business-rule',
        text: `the payload names ${fromPayload} but the device is linked to another patient in the registry`,
        expression: issues.at((src as Extractor).where),
      }, { status: 422 });
    }
    const patient = fromPayload ?? registryPatient;
    if (!patient) {
      const how = src ? `the payload has no patient at ${src.text} and the` : 'the';
      throw FhirError.of(ERR_PATIENT_UNRESOLVED, {
        code: 'required',
        text: `cannot tell whose reading this is: ${how} device is not linked to a patient in the registry`,
        expression: src ? issues.at(src.where) : 'Observation.subject',
      }, { status: 422 });
    }
    return patient;
  };
}

function payloadPatient(src: Extractor, issues: RunIssues): string | undefined {
  const v = src.read(issues);
  if (isAbsent(v)) return undefined;
  const id = typeof v === 'string' && v.startsWith('Patient/') ? v.slice('Patient/'.length) : v;
  if (typeof id !== 'string' || !ID.test(id)) {
    throw FhirError.of(ERR_PATIENT_UNRESOLVED, {
      code: 'value',
      text: `the patient at ${src.text} must be a FHIR id or Patient/<id>`,
      expression: issues.at(src.where),
    }, { status: 422 });
  }
  return `Patient/${id}`;
}
