import { createHash } from 'node:crypto';

/**
 * base64url (no padding) of the SHA-256 of the exact body bytes — the value a device puts in its
 * token's `body_sha256` claim, binding the token to one body (SECURITY-CASES 44).
 * See: https://www.rfc-editor.org/rfc/rfc7515#section-2 (base64url without padding)
 */
export function bodySha256(body: Buffer | string): string {
  return createHash('sha256').update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body).digest('base64url');
}
