import { errors } from 'jose';
import { FhirError, unauthorized } from '../errors/fhir-error';

/**
 * jose error → our stable 401 code. Key-set fetch failures are not the token's fault: 503.
 * Anything that is not a jose error is rethrown (a system error, i.e. a 500).
 */
export function accessTokenErrorOf(e: unknown): FhirError {
  if (e instanceof FhirError) return e;
  if (e instanceof errors.JWTExpired) return unauthorized('ERR_ACCESS_TOKEN_EXPIRED', 'The access token has expired');
  if (e instanceof errors.JWTClaimValidationFailed) return claimError(e.claim);
  if (e instanceof errors.JWSSignatureVerificationFailed) {
    return unauthorized('ERR_ACCESS_TOKEN_SIGNATURE', 'The access token signature does not verify');
  }
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) {
    return unauthorized('ERR_ACCESS_TOKEN_ALG', 'The access token algorithm is not accepted');
  }
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) {
    return unauthorized('ERR_ACCESS_TOKEN_KID', 'No unique signing key matches the access token');
  }
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) {
    return FhirError.of('ERR_JWKS_UNAVAILABLE', { code: 'transient', text: 'The token issuer keys are unavailable' }, { status: 503 });
  }
  if (e instanceof errors.JOSEError) return unauthorized('ERR_ACCESS_TOKEN_MALFORMED', 'The access token is malformed');
  throw e;
}

function claimError(claim: string): FhirError {
  switch (claim) {
    case 'aud':
      return unauthorized('ERR_ACCESS_TOKEN_AUDIENCE', 'The access token was issued for another server');
    case 'iss':
      return unauthorized('ERR_ACCESS_TOKEN_ISSUER', 'The access token comes from an untrusted issuer');
    case 'nbf':
    case 'iat':
      return unauthorized('ERR_ACCESS_TOKEN_NOT_YET_VALID', 'The access token is not valid yet');
    default:
      return unauthorized('ERR_ACCESS_TOKEN_CLAIMS', `The access token's "${claim}" claim is missing or invalid`);
  }
}
