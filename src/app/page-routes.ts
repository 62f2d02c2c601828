import { timingSafeEqual } from 'node:crypto';
import type { Request, ServerRoute } from '@hapi/hapi';
import { FhirError, forbidden } from '../errors/fhir-error';
import { auditAppAccess, auditLink, userOf } from './app-audit';
import { htmlResponse, withErrorPage } from './app-errors';
import type { AppPluginOptions } from './app-plugin';
import { APP_CSS, APP_JS } from './app-assets';
import { patientIdOf } from './launch-routes';
import { loadPatientView } from './patient-view';
import { renderMessagePage, renderPatientPage } from './render-patient-page';
import { sessionStorage } from './session-storage';
import { smartApi, type SmartClient } from './smart-client';

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The launched session's client, refreshed when its access token is about to expire. */
async function sessionClient(request: Request, h: Parameters<Parameters<typeof withErrorPage>[1]>[1]): Promise<SmartClient> {
  const client = await smartApi(request, h, sessionStorage(request)).ready();
  try {
    await client.refreshIfNeeded();
  } catch {
    throw FhirError.of('ERR_APP_SESSION_EXPIRED', { code: 'login', text: 'Your authorization from the EHR has ended.' }, { status: 401 });
  }
  return client;
}

/** Linking changes a patient's record: only a practitioner (or practitioner role) may do it. */
const isPractitioner = (user: string | undefined): boolean => user !== undefined && /(^|\/)(Practitioner|PractitionerRole)\/[A-Za-z0-9\-.]{1,64}$/.test(user);

/** CSRF: the form's token must equal this session's, and a sent Origin must be ours. */
function checkForm(request: Request, options: AppPluginOptions): void {
  const expected = request.yar.get('csrf') as string | null;
  const given = (request.payload as Record<string, unknown> | null)?.csrf;
  const ok = typeof expected === 'string' && typeof given === 'string' && given.length === expected.length
    && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  const origin = request.headers.origin;
  if (!ok || (origin !== undefined && origin !== new URL(options.publicUrl()).origin)) {
    throw forbidden('ERR_APP_CSRF', 'This form was not sent from the app page of this session.');
  }
}

export function pageRoutes(options: AppPluginOptions): ServerRoute[] {
  const { logger, store } = options;
  return [
    {
      method: 'GET', path: '/app', options: { auth: false },
      handler: withErrorPage(logger, async (request, h) => {
        const client = await sessionClient(request, h);
        const patient = `Patient/${patientIdOf(client)}`;
        const view = await loadPatientView(store, patient);
        const user = userOf(client);
        await auditAppAccess(options, request, { user, patient, entities: [patient, ...view.devices.map((d) => `Device/${d.id}`)] });
        // A one-off notice from the last action, cleared as it is shown.
        const notice = (request.yar.get('notice', true) as { kind: 'ok' | 'error'; text: string } | null) ?? undefined;
        const html = renderPatientPage({
          view, user, csrf: String(request.yar.get('csrf') ?? ''), canLink: isPractitioner(user),
          patientName: (request.yar.get('patientName') as string | null) ?? undefined, notice, renderedAt: new Date(options.now()).toISOString(),
        });
        return htmlResponse(h, html);
      }),
    },
    {
      method: 'POST', path: '/app/devices/{id}/link',
      options: { auth: false, payload: { parse: true, allow: 'application/x-www-form-urlencoded', maxBytes: 4096 } },
      handler: withErrorPage(logger, async (request, h) => {
        const client = await sessionClient(request, h);
        checkForm(request, options);
        const user = userOf(client);
        if (!isPractitioner(user)) throw forbidden('ERR_APP_NOT_PRACTITIONER', 'Only a practitioner can link a device to a patient.');
        const id = String(request.params.id);
        if (!FHIR_ID.test(id)) throw FhirError.of('ERR_DEVICE_ID_INVALID', { code: 'invalid', text: 'Not a device id', expression: 'Device.id' }, { status: 400 });
        const patient = `Patient/${patientIdOf(client)}`;
        try {
          await store.linkDevice(id, patient, auditLink(options, request, { user, patient, device: id, outcome: 'success' }));
          request.yar.set('notice', { kind: 'ok', text: `Device ${id} is now linked to this patient.` });
        } catch (error) {
          if (!(error instanceof FhirError)) throw error;
          await store.appendAudit(auditLink(options, request, { user, patient, device: id, outcome: 'failure', errorCode: error.code }));
          request.yar.set('notice', { kind: 'error', text: error.message });
        }
        return h.redirect('/app#devices').code(303);
      }),
    },
    {
      method: 'POST', path: '/app/logout', options: { auth: false, payload: { parse: true, allow: 'application/x-www-form-urlencoded', maxBytes: 1024 } },
      handler: (request, h) => {
        request.yar.reset();
        return htmlResponse(h, renderMessagePage('Signed out', 'Your session with the app has ended.', 'Open the app again from your EHR to continue.'));
      },
    },
    { method: 'GET', path: '/app/assets/app.css', options: { auth: false }, handler: (_r, h) => h.response(APP_CSS).type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600') },
    { method: 'GET', path: '/app/assets/app.js', options: { auth: false }, handler: (_r, h) => h.response(APP_JS).type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600') },
  ];
}
