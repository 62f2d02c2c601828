import type { Plugin, Request, ResponseObject, ResponseToolkit } from '@hapi/hapi';
import type { Boom } from '@hapi/boom';
import type { Logger } from 'pino';
import { FhirError, outcomeOf, type IssueCode } from '../../errors/fhir-error';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Issue code for a Boom raised by Hapi itself (routing, payload limits, timeouts). */
const ISSUE_BY_STATUS: Readonly<Record<number, IssueCode>> = {
  400: 'invalid', 401: 'login', 403: 'forbidden', 404: 'not-found', 405: 'not-supported',
  408: 'timeout', 409: 'conflict', 413: 'too-long', 415: 'not-supported', 422: 'processing', 429: 'throttled',
};

/** Turns anything thrown into a FhirError; unknown errors become a generic 500 (details only logged). */
export function toFhirError(error: unknown, logger: Logger, requestId: string): FhirError {
  if (error instanceof FhirError) return error;
  const boom = error as Partial<Boom> & { data?: unknown };
  if (boom.isBoom && boom.data instanceof FhirError) return boom.data;
  if (boom.isBoom && boom.output && boom.output.statusCode < 500) {
    const status = boom.output.statusCode;
    const text = String(boom.output.payload.message || boom.output.payload.error);
    return new FhirError(`ERR_HTTP_${status}`, outcomeOf([{ code: ISSUE_BY_STATUS[status] ?? 'invalid', text }]), { status });
  }
  logger.error({ err: error, reqId: requestId }, 'unexpected error');
  return new FhirError('ERR_INTERNAL', outcomeOf([{ severity: 'fatal', code: 'exception', text: 'Internal server error' }]), { status: 500 });
}

/**
 * Stable code and status of the error a request is answered with, or undefined when it succeeded.
 * Works on either side of this plugin's `onPreResponse`: route-level hooks run after it (the response
 * is then an OperationOutcome and `request.app.errorCode` is set), but a hook may also see the error in
 * flight. Hapi boomifies what a handler throws in place, so a thrown FhirError arrives as itself.
 */
export function refusalOf(request: Request): { code: string; status: number } | undefined {
  const response = request.response as (Partial<Boom> & { data?: unknown; statusCode?: number }) | null;
  if (request.app.errorCode !== undefined) return { code: request.app.errorCode, status: response?.statusCode ?? 500 };
  if (!response?.isBoom) return undefined;
  const error = response instanceof FhirError ? response : response.data instanceof FhirError ? response.data : undefined;
  if (error) return { code: error.code, status: error.status };
  const status = response.output?.statusCode ?? 500;
  return { code: status < 500 ? `ERR_HTTP_${status}` : 'ERR_INTERNAL', status };
}

/** Writes a FhirError as an `application/fhir+json` OperationOutcome response. */
export function respondWithOutcome(h: ResponseToolkit, error: FhirError): ResponseObject {
  const response = h.response(error.outcome).code(error.status).type(FHIR_JSON);
  for (const [name, value] of Object.entries(error.headers)) response.header(name, value);
  return response;
}

/**
 * The ONE place where errors become responses: FhirError → its OperationOutcome, Hapi's Boom → an
 * OperationOutcome with a matching issue code, anything else → a generic 500 (no stack in the body).
 * See: https://hl7.org/fhir/R4/http.html#Status-Codes
 */
export const outcomesPlugin: Plugin<{ logger: Logger }> = {
  name: 'iomt-outcomes',
  register(server, { logger }) {
    server.ext('onPreResponse', (request: Request, h: ResponseToolkit) => {
      const response = request.response as ResponseObject | Boom;
      if (!('isBoom' in response) || !response.isBoom) return h.continue;
      const error = toFhirError(response, logger, request.info.id);
      request.app.errorCode = error.code;
      return respondWithOutcome(h, error);
    });
  },
};

declare module '@hapi/hapi' {
  interface RequestApplicationState {
    /** Stable code of the error answered, for logs, metrics and the audit trail. */
    errorCode?: string;
  }
}
