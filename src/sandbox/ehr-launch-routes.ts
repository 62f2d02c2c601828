import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest } from '../errors/fhir-error';
import { pickablePatients } from './approve-interaction';
import { escapeHtml, htmlPage } from './html-page';
import { errorReply, jsonReply, parseJson, readBody, sendReply } from './http-io';
import { sendHtml } from './interaction-routes';
import type { LaunchContexts } from './launch-contexts';
import type { SandboxStore } from './sandbox-store';

/** What the EHR-side launch needs. */
export interface EhrLaunchDeps {
  launches: LaunchContexts;
  store: SandboxStore;
  /** FHIR bases an app may be launched against (`iss`); the first is the default. */
  audiences: string[];
  /** Launch URL of the bridge's SMART app, pre-filled on the page. */
  defaultAppLaunchUrl: string;
}

interface LaunchRequest {
  patient?: unknown;
  encounter?: unknown;
  iss?: unknown;
}

/**
 * The EHR side of an EHR launch: `GET /ehr` (a page per patient), `GET /ehr/launch?app=&patient=` (creates a launch
 * and redirects to `app?iss=…&launch=…`), `POST /ehr/launches` (JSON, for tests). Returns false when not its route.
 * See: https://hl7.org/fhir/smart-app-launch/STU2.2/app-launch.html#step-1-launch-ehr
 */
export async function handleEhrLaunch(deps: EhrLaunchDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  try {
    if (req.method === 'GET' && url.pathname === '/ehr') sendHtml(res, 200, ehrPage(deps));
    else if (req.method === 'GET' && url.pathname === '/ehr/launch') redirectToApp(deps, res, url.searchParams);
    else if (req.method === 'POST' && url.pathname === '/ehr/launches') {
      const body = parseJson(await readBody(req)) as LaunchRequest | null;
      const { launch, iss } = createLaunch(deps, body ?? {});
      sendReply(res, jsonReply(201, { launch, iss }));
    } else return false;
  } catch (error) {
    sendReply(res, errorReply(error));
  }
  return true;
}

function createLaunch(deps: EhrLaunchDeps, request: LaunchRequest): { launch: string; iss: string } {
  const patient = request.patient;
  if (typeof patient !== 'string' || deps.store.read('Patient', patient) === undefined) {
    throw badRequest('ERR_SANDBOX_LAUNCH_PATIENT', `no sandbox patient '${String(patient)}'`, 'patient');
  }
  const encounter = typeof request.encounter === 'string' ? request.encounter : undefined;
  if (encounter !== undefined && deps.store.read('Encounter', encounter) === undefined) {
    throw badRequest('ERR_SANDBOX_LAUNCH_ENCOUNTER', `no sandbox encounter '${encounter}'`, 'encounter');
  }
  const iss = typeof request.iss === 'string' ? request.iss.replace(/\/+$/, '') : deps.audiences[0]!;
  if (!deps.audiences.includes(iss)) throw badRequest('ERR_SANDBOX_LAUNCH_ISS', `iss must be one of ${deps.audiences.join(', ')}`, 'iss');
  return { launch: deps.launches.createLaunch({ patient, encounter }), iss };
}

function redirectToApp(deps: EhrLaunchDeps, res: ServerResponse, query: URLSearchParams): void {
  const app = URL.parse(query.get('app') ?? deps.defaultAppLaunchUrl);
  if (app === null || (app.protocol !== 'http:' && app.protocol !== 'https:')) {
    throw badRequest('ERR_SANDBOX_LAUNCH_APP', 'app must be an http(s) launch URL', 'app');
  }
  const { launch, iss } = createLaunch(deps, {
    patient: query.get('patient') ?? undefined, encounter: query.get('encounter') ?? undefined, iss: query.get('iss') ?? undefined,
  });
  app.searchParams.set('iss', iss);
  app.searchParams.set('launch', launch);
  res.writeHead(302, { location: app.href, 'cache-control': 'no-store' });
  res.end();
}

function ehrPage(deps: EhrLaunchDeps): string {
  const issOptions = deps.audiences.map((a) => `<option value="${escapeHtml(a)}">${escapeHtml(a)}</option>`).join('');
  const rows = pickablePatients(deps.store).map((p) => `<tr><td>${escapeHtml(p.label)}</td><td>
<form method="get" action="/ehr/launch"><input type="hidden" name="patient" value="${escapeHtml(p.id)}">
<input type="hidden" name="app" value="${escapeHtml(deps.defaultAppLaunchUrl)}">
<label>iss <select name="iss">${issOptions}</select></label>
<button type="submit">Launch iomt-bridge</button></form></td></tr>`).join('');
  return htmlPage('Sandbox EHR', `<h1>Patients</h1>
<p>Launching opens the bridge app at <code>${escapeHtml(deps.defaultAppLaunchUrl)}</code> with <code>iss</code> and <code>launch</code> (SMART EHR launch).</p>
<table><thead><tr><th scope="col">Patient</th><th scope="col">Launch</th></tr></thead><tbody>${rows}</tbody></table>`);
}
