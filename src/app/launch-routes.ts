import { randomBytes } from 'node:crypto';
import type { Request, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import { FhirError } from '../errors/fhir-error';
import type { AppPluginOptions } from './app-plugin';
import { withErrorPage } from './app-errors';
import { checkIss, checkLaunch } from './check-iss';
import { sessionStorage } from './session-storage';
import { smartApi, type SmartClient } from './smart-client';

/**
 * The SMART launch: `/launch` (EHR launch, `iss` + `launch`), `/app/launch` (standalone, `iss` optional
 * among the configured EHRs) and the redirect route `/app/callback`, on fhirclient's Hapi adapter with
 * PKCE required, a crypto-random state and server-side session storage.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/app-launch.html
 */

export const CALLBACK_PATH = '/app/callback';
const random = (): string => randomBytes(32).toString('base64url');

/** A standalone launch asks the EHR to pick a patient (`launch/patient`) instead of using `launch`. */
export function standaloneScope(scope: string): string {
  const scopes = scope.split(/\s+/).filter((s) => s !== '' && s !== 'launch');
  return [...new Set(['launch/patient', ...scopes])].join(' ');
}

async function startAuthorization(request: Request, h: ResponseToolkit, options: AppPluginOptions, iss: string, launch?: string) {
  // A launch starts a fresh session: a new id (no fixation) and no leftover state of an earlier launch.
  request.yar.reset();
  const scope = launch === undefined ? standaloneScope(options.config.scope) : options.config.scope;
  try {
    return await smartApi(request, h, sessionStorage(request)).authorize({
      clientId: options.config.clientId, scope, iss, pkceMode: 'required', stateKey: random(),
      redirectUri: `${options.publicUrl()}${CALLBACK_PATH}`, ...(launch === undefined ? {} : { launch }),
    });
  } catch (error) {
    // Discovery failed, or the server does not offer S256 (pkceMode 'required' refuses it: wanted).
    throw FhirError.of('ERR_APP_AUTHORIZE_FAILED', { code: 'transient', text: `Could not start authorization with ${iss}: ${(error as Error).message}` }, { status: 502 });
  }
}

/** The patient in context must be a FHIR id; without one the page has nothing to show. */
export function patientIdOf(client: SmartClient): string {
  const id = client.patient.id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(id)) {
    throw FhirError.of('ERR_APP_NO_PATIENT', { code: 'business-rule', text: 'The EHR did not give a patient in context for this launch' }, { status: 400 });
  }
  return id;
}

/** A display name from the EHR's Patient resource (best effort: the page still works without it). */
async function patientName(client: SmartClient, id: string, options: AppPluginOptions): Promise<string | undefined> {
  try {
    const patient = await client.request<{ name?: Array<{ text?: string; given?: string[]; family?: string }> }>(`Patient/${id}`);
    const name = patient.name?.[0];
    const text = name?.text ?? [...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
    return text === '' ? undefined : text.slice(0, 200);
  } catch (err) {
    options.logger.warn({ code: 'ERR_APP_PATIENT_NAME', reason: (err as Error).message.split('\n')[0] }, 'patient name could not be read from the EHR');
    return undefined;
  }
}

export function launchRoutes(options: AppPluginOptions): ServerRoute[] {
  const { logger } = options;
  return [
    {
      method: 'GET', path: '/launch', options: { auth: false },
      // SECURITY-CASES 46: iss is checked against the allow-list before fhirclient may fetch anything.
      handler: withErrorPage(logger, async (request, h) => {
        const iss = checkIss(request.query.iss, options.config.ehrs);
        return startAuthorization(request, h, options, iss, checkLaunch(request.query.launch));
      }),
    },
    {
      method: 'GET', path: '/app/launch', options: { auth: false },
      handler: withErrorPage(logger, async (request, h) => {
        const iss = checkIss(request.query.iss ?? options.config.ehrs[0], options.config.ehrs);
        return startAuthorization(request, h, options, iss);
      }),
    },
    {
      method: 'GET', path: CALLBACK_PATH, options: { auth: false },
      handler: withErrorPage(logger, async (request, h) => {
        // ready() checks `state` against this session's storage and exchanges the code with the PKCE verifier.
        const client = await smartApi(request, h, sessionStorage(request)).ready();
        const id = patientIdOf(client);
        const name = await patientName(client, id, options);
        request.yar.set({ csrf: random(), ...(name === undefined ? {} : { patientName: name }) });
        return h.redirect('/app').code(303);
      }),
    },
  ];
}
