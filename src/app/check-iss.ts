import { FhirError } from '../errors/fhir-error';

/**
 * SECURITY-CASES 46: the `iss` of a launch must be one of the configured EHRs, checked BEFORE anything is
 * requested from it (fhirclient would fetch `<iss>/.well-known/smart-configuration` at once, and its own
 * `issMatch` is ignored for a single configuration — see SMART-NOTES). Exact match only: no prefix, case or
 * host-suffix games, no user info, query or fragment. An unknown, private-address or redirecting server is
 * therefore refused without a single request to it. Pure.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/app-launch.html#step-1-app-registration (iss validation)
 */
export function checkIss(raw: unknown, allowed: readonly string[]): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) throw refused('The launch names no FHIR server (iss)');
  const iss = raw.replace(/\/+$/, '');
  if (!URL.canParse(iss)) throw refused('The launch iss is not a URL');
  const url = new URL(iss);
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) {
    throw refused('The launch iss must not carry credentials, a query or a fragment');
  }
  if (!allowed.includes(iss)) throw refused('This EHR is not one this app is configured to trust');
  return iss;
}

const refused = (text: string): FhirError =>
  FhirError.of('ERR_APP_ISS_REFUSED', { code: 'security', text, expression: 'iss' }, { status: 400 });

/** The `launch` parameter: an opaque handle of the EHR, passed through unchanged — but bounded. */
export function checkLaunch(raw: unknown): string {
  if (typeof raw !== 'string' || !/^[\x21-\x7e]{1,1024}$/.test(raw)) {
    throw FhirError.of('ERR_APP_LAUNCH_INVALID', { code: 'invalid', text: 'The launch parameter is missing or malformed', expression: 'launch' }, { status: 400 });
  }
  return raw;
}
