/** Public API of the SMART stage: scopes, access-token verification, key sources, development issuer. */
export type { AccessContext, Interaction, Permission } from './contracts';
export { parseScopes, isPermitted, permittedQueries } from './scopes';
export { restrictionFilter, restrictSearch, satisfiesRestriction, type Restriction, type SearchFilter } from './query-restrictions';
export {
  createAccessTokenVerifier,
  DEFAULT_ACCESS_TOKEN_ALGORITHMS,
  type AccessTokenVerifierOptions,
} from './verify-access-token';
export { createIntrospectionVerifier, type IntrospectionOptions } from './introspect-access-token';
export { jwksFromFile, jwksFromUrl, assertPublicJwks, type RemoteJwksOptions } from './jwks';
export {
  loadOrCreateDevIssuerKey,
  issueDevToken,
  devIssuerJwks,
  type DevIssuerKey,
  type IssueDevTokenOptions,
} from './dev-issuer';
