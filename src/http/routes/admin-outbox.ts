import type { Request, ServerRoute } from '@hapi/hapi';
import { CLIENT_ID_SYSTEM } from '../../audit/audit-codes';
import { buildOutboxAuditEvent } from '../../delivery/build-outbox-audit-event';
import { badRequest } from '../../errors/fhir-error';
import type { OutboxStatus } from '../../store/port';
import type { HttpDeps } from '../deps';
import { requireAdmin } from '../plugins/admin-auth';
import { accessOf } from '../plugins/smart-auth';

const STATUSES: readonly OutboxStatus[] = ['pending', 'delivered', 'dead'];
const MAX_LIST = 1000;
const PATIENT_REF = /^Patient\/[A-Za-z0-9\-.]{1,64}$/;

/**
 * The operators' outbox API (scope `iomt:admin`): status, listing, replay, purge, and the accounting of
 * disclosures for a patient. Same store methods as the `iomt-bridge outbox` CLI. Replay and purge are audited.
 */
export function adminOutboxRoutes(deps: HttpDeps): ServerRoute[] {
  const admin = { auth: 'smart', pre: [{ method: (request: Request) => (requireAdmin(request), null) }] };
  return [
    { method: 'GET', path: '/admin/outbox', options: admin, handler: async () => deps.store.outboxSummary() },
    {
      method: 'GET', path: '/admin/outbox/entries', options: admin,
      async handler(request) {
        const q = request.query as Record<string, string | undefined>;
        const status = q.status as OutboxStatus | undefined;
        if (status !== undefined && !STATUSES.includes(status)) throw badRequest('ERR_OUTBOX_STATUS', `status must be one of ${STATUSES.join(', ')}`, 'status');
        return deps.store.listOutbox({ status, afterSeq: intParam(q.after, 'after', 0), limit: Math.min(intParam(q.limit, 'limit', 100), MAX_LIST) });
      },
    },
    {
      method: 'POST', path: '/admin/outbox/replay', options: admin,
      async handler(request) {
        const body = objectBody(request.payload);
        const which = body.dead === true ? 'dead' : 'all';
        const seqs = seqsParam(body.seqs);
        const now = deps.now();
        const parameters = { dead: which === 'dead', seqs };
        // The count is known after the update; the audit entry records the request, committed with it.
        const replayed = await deps.store.replayOutbox({ which, seqs, now, audit: auditOf(request, 'replay', parameters, now) });
        return { replayed };
      },
    },
    {
      method: 'POST', path: '/admin/outbox/purge', options: admin,
      async handler(request) {
        const body = objectBody(request.payload);
        const status = body.status ?? 'delivered';
        if (status !== 'delivered' && status !== 'dead') throw badRequest('ERR_OUTBOX_STATUS', "status must be 'delivered' or 'dead'", 'status');
        const before = body.before === undefined ? undefined : isoParam(body.before, 'before');
        const purged = await deps.store.purgeOutbox({ status, before, audit: auditOf(request, 'purge', { status, before }, deps.now()) });
        return { purged };
      },
    },
    {
      method: 'GET', path: '/admin/audit/disclosures', options: admin,
      async handler(request) {
        const q = request.query as Record<string, string | undefined>;
        const patient = q.patient?.startsWith('Patient/') ? q.patient : `Patient/${q.patient ?? ''}`;
        if (!PATIENT_REF.test(patient)) throw badRequest('ERR_DISCLOSURE_PATIENT', 'patient must be a Patient id', 'patient');
        const since = isoParam(q.since ?? '1970-01-01', 'since');
        return (await deps.store.listDisclosures({ patient, since })).map((r) => r.event);
      },
    },
  ];
}

function auditOf(request: Request, action: 'replay' | 'purge', parameters: Record<string, unknown>, now: number) {
  return buildOutboxAuditEvent({ action, parameters, actor: { system: CLIENT_ID_SYSTEM, value: accessOf(request).clientId }, count: 0, recorded: new Date(now) });
}

function objectBody(payload: unknown): Record<string, unknown> {
  if (payload === null || payload === undefined) return {};
  if (typeof payload !== 'object' || Array.isArray(payload)) throw badRequest('ERR_ADMIN_BODY', 'the body must be a JSON object', '$');
  return payload as Record<string, unknown>;
}

function intParam(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value)) throw badRequest('ERR_ADMIN_PARAM', `${name} must be a non-negative integer`, name);
  return Number(value);
}

function seqsParam(value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => Number.isSafeInteger(v) && (v as number) > 0)) {
    throw badRequest('ERR_ADMIN_PARAM', 'seqs must be an array of positive integers', 'seqs');
  }
  return value as number[];
}

/** A date or dateTime, as an ISO instant (UTC) comparable with the stored times. */
export function isoParam(value: unknown, name: string): string {
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw badRequest('ERR_ADMIN_PARAM', `${name} must be a date (YYYY-MM-DD) or an ISO date-time`, name);
  return new Date(ms).toISOString();
}
