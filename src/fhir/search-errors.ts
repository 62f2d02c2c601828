import { FhirError, badRequest } from '../errors/fhir-error';

/**
 * Errors of the search stage. Every one answers 400 and names the offending parameter (as the client sent it,
 * modifier included) in `issue.expression`, so a client can tell which part of its query was refused.
 * See: https://hl7.org/fhir/R4/search.html#errors
 */

/** A parameter name this server does not know (catches typos instead of silently widening a search). */
export const unknownParameter = (name: string): FhirError =>
  FhirError.of(
    'ERR_SEARCH_PARAM_UNKNOWN',
    { code: 'not-supported', text: `Unknown search parameter '${name}'`, expression: name },
    { status: 400 },
  );

/** A known FHIR feature we do not implement (`_include`, chains, modifiers, `sa`/`eb`/`ap` prefixes…). */
export const unsupportedParameter = (name: string, text: string): FhirError =>
  FhirError.of('ERR_SEARCH_PARAM_UNSUPPORTED', { code: 'not-supported', text, expression: name }, { status: 400 });

/** A malformed value. */
export const invalidParameter = (name: string, text: string): FhirError =>
  badRequest('ERR_SEARCH_PARAM_INVALID', `Invalid value for search parameter '${name}': ${text}`, name);

/** Security case 22: too many values or repetitions (cost control). */
export const tooManyValues = (name: string, text: string): FhirError =>
  FhirError.of('ERR_SEARCH_TOO_MANY_VALUES', { code: 'too-costly', text, expression: name }, { status: 400 });

/** Parameters whose values exclude each other (e.g. `patient=A&subject=B`): the search can match nothing. */
export const conflictingParameters = (names: string[]): FhirError =>
  FhirError.of(
    'ERR_SEARCH_PARAM_INVALID',
    { code: 'invalid', text: `The values of ${names.join(' and ')} exclude each other`, expression: names },
    { status: 400 },
  );
