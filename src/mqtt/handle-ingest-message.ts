import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { FhirError } from '../errors/fhir-error';
import { auditIngestRefusal, runIngest, type IngestDeps, type PresentedCertificate } from '../ingest';
import { encodeOutcome, type OutcomeMessage } from './outcome-message';
import { bodyMediaType, splitMessage } from './split-message';
import { deviceOfTopic, outcomesTopic, parseIngestTopic } from './topics';

/** One received PUBLISH on an ingest topic. */
export interface ReceivedMessage {
  topic: string;
  payload: Buffer;
  messageId?: number;
  /** Peer address of the publishing device (embedded broker) or of the broker (external). */
  sourceAddress?: string;
  /** The publishing connection's mTLS client certificate (embedded broker over TLS only). */
  certificate?: PresentedCertificate;
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/**
 * The message framing. On a connection with an authorized client certificate, a payload whose first byte is `{` or
 * `[` is the whole body, with no token line (a compact JWT never starts with either: base64url); any other payload,
 * on any connection, is `<JWT>\n<body>` as always.
 */
function frame(message: ReceivedMessage): { token?: string; body: Buffer } {
  const first = message.payload[0];
  if (message.certificate?.authorized === true && (first === OPEN_BRACE || first === OPEN_BRACKET)) return { body: message.payload };
  return splitMessage(message.payload);
}

/**
 * What to do with the message. `ack`: the bridge is done with it (committed, replayed, or refused for good —
 * redelivering cannot fix bad data), so PUBACK it, and publish `reply` when there is one. `retry`: a system
 * error (the store failed): do NOT acknowledge, so the broker or device delivers it again; nothing was committed.
 */
export type MessageVerdict =
  | { action: 'ack'; reply?: { topic: string; payload: Buffer }; outcome: OutcomeMessage }
  | { action: 'retry'; error: unknown };

export interface MqttIngestDeps extends IngestDeps {
  topicPrefix: string;
}

/**
 * Runs one MQTT ingest message through the shared ingest core (src/ingest/run-ingest.ts), exactly as an HTTP POST
 * is: the topic names the device (which must be the token's verified `iss`, SECURITY-CASES 37) and optionally the
 * mapping; the full topic is what `match: {topic}` rules see. Every message is audited.
 */
export async function handleIngestMessage(deps: MqttIngestDeps, message: ReceivedMessage): Promise<MessageVerdict> {
  const requestId = randomUUID();
  const started = process.hrtime.bigint();
  const topic = parseIngestTopic(deps.topicPrefix, message.topic);
  let deviceId: string | undefined;
  let jti: string | undefined;
  const base = { topic: message.topic, messageId: message.messageId, requestId };
  try {
    if (topic === undefined) throw topicRefused(message.topic);
    const { token, body } = frame(message);
    jti = token === undefined ? undefined : unverifiedJti(token);
    const answer = await runIngest(deps, {
      authorization: token === undefined ? undefined : `Bearer ${token}`, certificate: message.certificate, body, contentType: bodyMediaType(body), mappingId: topic.mappingId,
      match: { topic: message.topic }, requestId, sourceAddress: message.sourceAddress, started,
      onVerified: (id) => { deviceId = id; },
      authorize: (device) => { if (device.id !== topic.deviceId) throw deviceMismatch(device.id, topic.deviceId); },
    });
    return ackWith(deps, { ...base, jti, status: 202, response: answer });
  } catch (error) {
    const refusal = error instanceof FhirError && error.status < 500 ? error : undefined;
    if (refusal === undefined) {
      await auditQuietly(deps, { deviceId, code: error instanceof FhirError ? error.code : 'ERR_INTERNAL', status: 500, requestId, sourceAddress: message.sourceAddress });
      return { action: 'retry', error };
    }
    try {
      await auditIngestRefusal(deps, { deviceId, code: refusal.code, status: refusal.status, requestId, sourceAddress: message.sourceAddress });
    } catch (auditError) {
      return { action: 'retry', error: auditError }; // unaudited: let it come again rather than ack it silently
    }
    return ackWith(deps, { ...base, jti, status: refusal.status, code: refusal.code, response: refusal.outcome });
  }
}

function ackWith(deps: MqttIngestDeps, outcome: OutcomeMessage): MessageVerdict {
  const device = deviceOfTopic(deps.topicPrefix, outcome.topic);
  const reply = device === undefined ? undefined : { topic: outcomesTopic(deps.topicPrefix, device), payload: encodeOutcome(outcome) };
  return { action: 'ack', reply, outcome };
}

/** The store that failed the commit may fail the audit too: the error is the caller's to log either way. */
async function auditQuietly(deps: MqttIngestDeps, refusal: Parameters<typeof auditIngestRefusal>[1]): Promise<void> {
  try {
    await auditIngestRefusal(deps, refusal);
  } catch {
    // The original error is reported by the caller; this one adds nothing.
  }
}

/** For correlation only: the `jti` the device put in its token, before (or without) verification. */
function unverifiedJti(token: string): string | undefined {
  try {
    const { jti } = decodeJwt(token);
    return typeof jti === 'string' && jti.length <= 200 ? jti : undefined;
  } catch {
    return undefined;
  }
}

const topicRefused = (topic: string): FhirError => FhirError.of('ERR_MQTT_TOPIC_INVALID', {
  code: 'not-found', text: `'${topic}' is not an ingest topic (<prefix>/devices/{id}/ingest[/{mappingId}])`, expression: 'topic',
}, { status: 404 });

const deviceMismatch = (iss: string, named: string): FhirError => FhirError.of('ERR_MQTT_TOPIC_DEVICE', {
  code: 'forbidden', text: `The token was signed by '${iss}' but the topic names device '${named}'`, expression: 'topic',
}, { status: 403 });
