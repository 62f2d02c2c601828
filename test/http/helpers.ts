import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerInjectResponse } from '@hapi/hapi';
import type { AuditEvent, OperationOutcome } from 'fhir/r4';
import { CompactSign, importJWK, type JWK } from 'jose';
import type { Store } from '../../src/store/port';

/** Reads `mappings/<family>/examples/<name>` as text (the real example payloads are the fixtures). */
export const example = (family: string, name: string): string =>
  readFileSync(join(__dirname, '../../mappings', family, 'examples', name), 'utf8');

/** Parsed example payload, for tests that vary one field. */
export const exampleObject = (family: string, name: string): Record<string, unknown> =>
  JSON.parse(example(family, name)) as Record<string, unknown>;

/**
 * Asserts the response is an `application/fhir+json` OperationOutcome with `status` and at least one
 * error issue, and returns it.
 */
export function expectOutcome(res: ServerInjectResponse, status: number): OperationOutcome {
  expect({ status: res.statusCode, type: res.headers['content-type'] }).toEqual({
    status,
    type: expect.stringMatching(/^application\/fhir\+json\b/),
  });
  const body = JSON.parse(res.payload) as OperationOutcome;
  expect(body.resourceType).toBe('OperationOutcome');
  expect(body.issue.some((i) => i.severity === 'error' || i.severity === 'fatal')).toBe(true);
  // SECURITY-CASES 28: no stack traces in an OperationOutcome.
  expect(res.payload).not.toMatch(/\bat .+\.(ts|js):\d+/);
  return body;
}

/** A 401 as RFC 6750 §3 wants it for a bad token. */
export function expectInvalidToken(res: ServerInjectResponse): OperationOutcome {
  const outcome = expectOutcome(res, 401);
  expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  return outcome;
}

/** Every FHIRPath expression of an outcome's issues. */
export const expressionsOf = (outcome: OperationOutcome): string[] => outcome.issue.flatMap((i) => i.expression ?? []);

/** What an accepted request writes: resources, outbox rows and used device-token ids (the audit log is separate). */
export async function storedCounts(store: Store): Promise<{ resources: number; outbox: number; jti: number }> {
  const { resources, outbox, jti } = await store.counts();
  return { resources, outbox, jti };
}

/** The audit entries appended after `afterSeq` (0: all). */
export async function auditSince(store: Store, afterSeq: number): Promise<AuditEvent[]> {
  return (await store.listAudit({ afterSeq, limit: 1000 })).map((r) => r.event);
}

/** Sequence number of the latest audit entry (0 when there is none). */
export async function auditHead(store: Store): Promise<number> {
  const all = await store.listAudit({ limit: 100_000 });
  return all.at(-1)?.seq ?? 0;
}

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** A compact JWS built from raw parts: for shapes no honest library would produce. */
export function rawJws(header: object, payload: object, signature = ''): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${signature}`;
}

/** Signs `payload` with any protected header (jku, jwk, odd kids…) using a private JWK. */
export async function signWithHeader(privateJwk: JWK, header: { alg: string } & Record<string, unknown>, payload: object): Promise<string> {
  const key = await importJWK(privateJwk, header.alg);
  return new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader(header).sign(key);
}

/** RFC 8725 §2.1 algorithm confusion: an HS256 MAC keyed with (an encoding of) our public key. */
export function hmacWithPublicKey(secret: string | Buffer, header: object, payload: object): string {
  const input = `${b64url(JSON.stringify({ alg: 'HS256', ...header }))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
