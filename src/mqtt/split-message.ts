import { FhirError } from '../errors/fhir-error';
import type { IngestMediaType } from '../ingest';

/** An ingest message: the device's signed JWT, one `\n`, then the exact body bytes its `body_sha256` binds. */
export interface IngestMessage {
  token: string;
  body: Buffer;
}

/** The longest token read (the HTTP verifier accepts 8,192 characters): past that there must be the `\n`. */
export const MAX_TOKEN_BYTES = 8192;
const NEWLINE = 0x0a;

/**
 * Splits an MQTT ingest payload at its first `\n` (pure; the body is not copied). MQTT 3.1.1 has no headers,
 * so the token travels in the payload itself, in front of the body.
 * Throws FhirError 400 `ERR_MQTT_MESSAGE_MALFORMED` when there is no `\n` within MAX_TOKEN_BYTES + 1 bytes.
 * See: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718040 (§3.3.3 the payload is application-specific)
 * @example splitMessage(Buffer.from('eyJ….eyJ….sig\n{"hr":72}')) // { token: 'eyJ….eyJ….sig', body: <{"hr":72}> }
 */
export function splitMessage(payload: Buffer): IngestMessage {
  const at = payload.subarray(0, MAX_TOKEN_BYTES + 1).indexOf(NEWLINE);
  if (at <= 0) {
    throw FhirError.of('ERR_MQTT_MESSAGE_MALFORMED', {
      code: 'structure', text: 'An ingest message is the device JWT, one \\n, then the body', expression: 'message',
    }, { status: 400 });
  }
  return { token: payload.subarray(0, at).toString('latin1'), body: payload.subarray(at + 1) };
}

/**
 * The media type of an MQTT body, decided by the body (MQTT 3.1.1 has no content type): NDJSON when it has at
 * least two non-blank lines and each of them, trimmed, starts with `{` and ends with `}`; otherwise JSON (one
 * object or an array). A pretty-printed object or array never qualifies as NDJSON (its lines are `{`, `"a": 1,`…).
 * @example bodyMediaType(Buffer.from('{"hr":72}\n{"hr":73}\n')) // 'application/x-ndjson'
 */
export function bodyMediaType(body: Buffer): IngestMediaType {
  const lines = body.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const ndjson = lines.length >= 2 && lines.every((l) => l.startsWith('{') && l.endsWith('}'));
  return ndjson ? 'application/x-ndjson' : 'application/json';
}
