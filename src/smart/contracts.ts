/**
 * Contracts of the SMART stage shared with the HTTP layer. Scope logic (scopes.ts) is pure.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html
 */

/** SMART v2 interactions; v1 `.read` = r+s, `.write` = c+u+d, `.*` = all. */
export type Interaction = 'c' | 'r' | 'u' | 'd' | 's';

export interface Permission {
  context: 'patient' | 'user' | 'system';
  /** A FHIR resource type or `*`. */
  resourceType: string;
  interactions: ReadonlySet<Interaction>;
  /** Query restriction of a v2 scope (`?category=http://…|vital-signs`), parsed; issue 5 enforces it. */
  query?: Readonly<Record<string, string>>;
}

/** What a verified access token grants; attached to each API request as its credentials. */
export interface AccessContext {
  /** `client_id` / `azp` / `sub` of the token. */
  clientId: string;
  /** `sub` (user) if any. */
  subject?: string;
  scopes: string[];
  permissions: Permission[];
  /** Launch context patient id (without `Patient/`), if the token carries one. */
  patient?: string;
  /** Token `jti` if present, for the audit trail (never the token itself). */
  tokenId?: string;
  /** Token `exp` (epoch seconds) when known; introspection caches no answer past it. */
  expiresAt?: number;
}
