import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';

/**
 * The one error type of iomt-bridge: an OperationOutcome plus a stable code.
 * Every stage throws it; the HTTP layer turns it into `application/fhir+json` in one place
 * (src/http/plugins/outcomes.ts), the CLI prints it on stderr.
 * See: https://hl7.org/fhir/R4/operationoutcome.html
 */
export type IssueSeverity = OperationOutcomeIssue['severity'];
export type IssueCode = OperationOutcomeIssue['code'];

export interface IssueInput {
  severity?: IssueSeverity;
  code: IssueCode;
  text: string;
  /** FHIRPath of the element the issue is about, e.g. `Observation.component[1].code`. */
  expression?: string | string[];
}

/**
 * HTTP status per issue code — one explicit table instead of literals scattered through handlers.
 * See: https://hl7.org/fhir/R4/valueset-issue-type.html
 */
export const STATUS_BY_ISSUE_CODE: Readonly<Record<string, number>> = Object.freeze({
  invalid: 400,
  structure: 400,
  required: 422,
  value: 422,
  invariant: 422,
  'code-invalid': 422,
  'business-rule': 422,
  processing: 422,
  login: 401,
  unknown: 401,
  expired: 401,
  security: 403,
  forbidden: 403,
  suppressed: 403,
  'not-found': 404,
  deleted: 410,
  'too-long': 413,
  'not-supported': 415,
  conflict: 409,
  duplicate: 409,
  throttled: 429,
  timeout: 504,
  transient: 503,
  exception: 500,
});

export function outcomeOf(issues: IssueInput[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => {
      const issue: OperationOutcomeIssue = {
        severity: i.severity ?? 'error',
        code: i.code,
        diagnostics: i.text,
        details: { text: i.text },
      };
      if (i.expression !== undefined) {
        issue.expression = Array.isArray(i.expression) ? i.expression : [i.expression];
      }
      return issue;
    }),
  };
}

export class FhirError extends Error {
  override readonly name = 'FhirError';
  /** Stable machine-readable code, e.g. `ERR_DEVICE_TOKEN_EXPIRED`; tests switch on it. */
  readonly code: string;
  readonly status: number;
  readonly outcome: OperationOutcome;
  /** Extra response headers (e.g. WWW-Authenticate for 401). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: string,
    outcome: OperationOutcome,
    options: { status?: number; headers?: Record<string, string> } = {},
  ) {
    const first = outcome.issue[0];
    super(first?.diagnostics ?? first?.details?.text ?? code);
    this.code = code;
    this.outcome = outcome;
    this.status = options.status ?? STATUS_BY_ISSUE_CODE[first?.code ?? 'exception'] ?? 500;
    this.headers = Object.freeze({ ...(options.headers ?? {}) });
  }

  static of(code: string, issue: IssueInput, options?: { status?: number; headers?: Record<string, string> }): FhirError {
    return new FhirError(code, outcomeOf([issue]), options);
  }
}

export const isFhirError = (e: unknown): e is FhirError => e instanceof FhirError;

// Small constructors, one per condition (after medplum's outcomes helpers).

export const badRequest = (code: string, text: string, expression?: string): FhirError =>
  FhirError.of(code, { code: 'invalid', text, expression });

export const unauthorized = (code: string, text: string): FhirError =>
  FhirError.of(code, { code: 'login', text }, {
    status: 401,
    // RFC 6750 §3: error="invalid_token" tells the client to get a new token.
    headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  });

export const forbidden = (code: string, text: string): FhirError =>
  FhirError.of(code, { code: 'forbidden', text }, {
    status: 403,
    headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' },
  });

export const notFound = (text: string, expression?: string): FhirError =>
  FhirError.of('ERR_NOT_FOUND', { code: 'not-found', text, expression });

export const unprocessable = (code: string, outcome: OperationOutcome): FhirError =>
  new FhirError(code, outcome, { status: 422 });

export const hasErrors = (outcome: OperationOutcome): boolean =>
  outcome.issue.some((i) => i.severity === 'error' || i.severity === 'fatal');
