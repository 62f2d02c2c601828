import type { Request } from '@hapi/hapi';
import { forbidden } from '../../errors/fhir-error';
import { accessOf } from './smart-auth';

/**
 * The scope that opens the bridge's administrative routes (mapping test runs, outbox replay, device admin).
 * Not a SMART resource scope on purpose: no `system/*.cruds` token ever implies it (least privilege).
 * Device credentials never reach here — they are not access tokens (SECURITY-CASES 25).
 */
export const ADMIN_SCOPE = 'iomt:admin';

/** Throws 403 unless the request's access token carries {@link ADMIN_SCOPE}. Use on routes with `auth: 'smart'`. */
export function requireAdmin(request: Request): void {
  if (!accessOf(request).scopes.includes(ADMIN_SCOPE)) {
    throw forbidden('ERR_ADMIN_SCOPE', `This route needs the '${ADMIN_SCOPE}' scope`);
  }
}
