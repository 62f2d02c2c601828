import type { Request, ResponseToolkit } from '@hapi/hapi';
import { buildAccessAuditEvent, type AuditOutcome } from '../../audit';
import type { AccessContext } from '../../smart/contracts';
import type { HttpDeps } from '../deps';
import { refusalOf } from '../plugins/outcomes';

export type AuditedInteraction = 'read' | 'search-type';

/** The verified access context, or undefined when authentication itself failed. */
function accessIfAny(request: Request): AccessContext | undefined {
  return (request.auth.credentials as { access?: AccessContext } | null)?.access;
}

/**
 * The user acting through the client, if any. Backend-service tokens carry `sub` = the client id
 * (RFC 7523 §3 / SMART Backend Services): that is the client again, not a user.
 */
function userOf(access: AccessContext | undefined): string | undefined {
  return access?.subject !== undefined && access.subject !== access.clientId ? access.subject : undefined;
}

/**
 * The query of a search as recorded in the audit trail. Repeated parameters stay repeated; an
 * `access_token` (refused anyway, SECURITY-CASES 16) is never written down.
 */
function auditedQuery(request: Request): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query as Record<string, string | string[] | undefined>)) {
    if (name === 'access_token' || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) query.append(name, v);
  }
  return query.toString();
}

/**
 * Appends the AuditEvent of one FHIR API access (IHE BALP) and marks the request audited, so the
 * refusal hook does not write a second one.
 */
export async function auditAccess(
  deps: HttpDeps,
  request: Request,
  event: { interaction: AuditedInteraction; entities: string[]; outcome: AuditOutcome; errorCode?: string },
): Promise<void> {
  const access = accessIfAny(request);
  await deps.store.appendAudit(buildAccessAuditEvent({
    // A refused token names no trustworthy client: the entry records the attempt, not a claimed identity.
    clientId: access?.clientId ?? 'unauthenticated', user: userOf(access), interaction: event.interaction,
    entities: event.entities, outcome: event.outcome, errorCode: event.errorCode,
    recorded: new Date(deps.now()), requestId: request.info.id, sourceAddress: request.info.remoteAddress,
    query: event.interaction === 'search-type' ? auditedQuery(request) : undefined,
    patient: access?.patient ? `Patient/${access.patient}` : undefined,
  }));
  request.app.audited = true;
}

/**
 * Route `onPreResponse` hook: every refused API request (bad token, insufficient scope, bad search
 * parameter…) leaves an AuditEvent with outcome 4 and the error code, as accepted ones do.
 * See: SECURITY-CASES (every case "… and an audit entry"), https://profiles.ihe.net/ITI/BALP/
 */
export function auditAccessRefusal(deps: HttpDeps, resourceType: string, interaction: AuditedInteraction) {
  return async (request: Request, h: ResponseToolkit) => {
    const refusal = refusalOf(request);
    if (request.app.audited || refusal === undefined) return h.continue;
    const id = request.params.id as string | undefined;
    try {
      await auditAccess(deps, request, {
        interaction, entities: id === undefined ? [] : [`${resourceType}/${id}`],
        outcome: refusal.status >= 500 ? 'error' : 'failure', errorCode: refusal.code,
      });
    } catch (err) {
      // This hook runs after the outcomes plugin: throwing here would replace the OperationOutcome with
      // Hapi's plain 500. The refusal still stands; the lost entry goes to the log.
      deps.logger.error({ err, reqId: request.info.id, code: refusal.code }, 'audit entry for a refused request could not be written');
    }
    return h.continue;
  };
}
