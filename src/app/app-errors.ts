import type { Request, ResponseToolkit } from '@hapi/hapi';
import type { Logger } from 'pino';
import { FhirError } from '../errors/fhir-error';
import { APP_CSP } from './html';
import { renderMessagePage } from './render-patient-page';

/** An HTML answer of the app: never cached (it shows patient data), locked down by CSP. */
export function htmlResponse(h: ResponseToolkit, html: string, status = 200) {
  return h.response(html).code(status).type('text/html; charset=utf-8')
    .header('content-security-policy', APP_CSP).header('cache-control', 'no-store')
    // same-origin (not the API's no-referrer): browsers then send a real Origin on the app's own form posts,
    // which the CSRF check compares; nothing leaks to other origins.
    .header('referrer-policy', 'same-origin');
}

interface PageError {
  status: number;
  code: string;
  title: string;
  text: string;
  hint?: string;
}

const RELAUNCH = 'Open the app again from the patient’s chart in your EHR.';

/**
 * What went wrong, for a person: refusals we raised (FhirError), errors the authorization server sent
 * back (`error` / `error_description` on the redirect), lost or foreign launch state, and failures talking
 * to the EHR. Text from outside is escaped by the page and bounded here.
 */
export function pageErrorOf(error: unknown, request: Request): PageError {
  if (error instanceof FhirError) {
    return { status: error.status, code: error.code, title: titleOf(error.status), text: error.message, hint: error.status === 401 ? RELAUNCH : undefined };
  }
  const asError = request.query.error;
  if (typeof asError === 'string') {
    const description = typeof request.query.error_description === 'string' ? `: ${request.query.error_description}` : '';
    return {
      status: 400, code: 'ERR_APP_AUTHORIZATION_DENIED', title: 'The EHR did not authorize the app',
      text: bounded(`${asError}${description}`), hint: RELAUNCH,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/No state found|No 'state' parameter/i.test(message)) {
    return { status: 401, code: 'ERR_APP_NO_SESSION', title: 'No active launch', text: 'This page has no launch in progress, or the launch was replaced by a newer one.', hint: RELAUNCH };
  }
  return { status: 502, code: 'ERR_APP_EHR_FAILED', title: 'The EHR could not complete the request', text: bounded(message.split('\n')[0] ?? ''), hint: RELAUNCH };
}

const titleOf = (status: number): string =>
  status === 401 ? 'Please launch the app again' : status === 403 ? 'Not allowed' : status === 409 ? 'Not possible' : 'The request was refused';

const bounded = (text: string): string => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

/** Wraps an app handler: any error becomes a clear HTML page (and a log line with its code, no token). */
export function withErrorPage(logger: Logger, handler: (request: Request, h: ResponseToolkit) => Promise<unknown>) {
  return async (request: Request, h: ResponseToolkit) => {
    try {
      return await handler(request, h);
    } catch (error) {
      const page = pageErrorOf(error, request);
      request.app.errorCode = page.code;
      logger.warn({ reqId: request.info.id, code: page.code, path: request.path, reason: page.text }, 'app request refused');
      return htmlResponse(h, renderMessagePage(page.title, page.text, page.hint), page.status);
    }
  };
}
