import { DEVICE_ID, outcomesTopic, parseIngestTopic } from './topics';

/**
 * Access decisions of the embedded broker (pure). A device is its client id: it may publish only to its own
 * ingest topics and subscribe only to its own outcomes topic — nothing else, no wildcards (SECURITY-CASES 36–38).
 */

/**
 * CONNACK return codes of MQTT 3.1.1 (the protocol the embedded broker speaks).
 * See: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc385349256 (§3.2.2.3, Table 3.1)
 */
export const CONNACK = Object.freeze({
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const);
export type ConnackRefusal = (typeof CONNACK)[keyof typeof CONNACK];

/** A refused step, with the stable code the audit entry and the log carry. */
export interface Refusal<R = never> {
  code: string;
  text: string;
  returnCode?: R;
}

/** What of a CONNECT packet the decision needs. */
export interface ConnectFacts {
  clientId: string;
  username?: string;
  hasPassword: boolean;
  hasWill: boolean;
}

/**
 * The checks of a CONNECT before its credential is verified: the client id is the device id (username) and can
 * never be a pattern; no will message (it would be published later, unauthenticated, on a topic of its own).
 * See: §3.1.3.1 ([MQTT-3.1.3-9]: a rejected client id gets 0x02), §3.1.2.5 (Will Flag), SECURITY-CASES 38, 42.
 */
export function checkConnect(facts: ConnectFacts): Refusal<ConnackRefusal> | undefined {
  if (facts.clientId === '') return refuse('ERR_MQTT_CLIENT_ID_EMPTY', 'A client id (= the device id) is required', CONNACK.IDENTIFIER_REJECTED);
  if (!DEVICE_ID.test(facts.clientId)) return refuse('ERR_MQTT_CLIENT_ID_INVALID', 'The client id is not a device id', CONNACK.IDENTIFIER_REJECTED);
  if (facts.username === undefined || facts.username === '' || !facts.hasPassword) {
    return refuse('ERR_MQTT_CREDENTIALS_MISSING', 'Username (device id) and password (device-signed JWT) are required', CONNACK.BAD_USERNAME_OR_PASSWORD);
  }
  if (facts.username !== facts.clientId) return refuse('ERR_MQTT_CLIENT_ID_MISMATCH', 'The client id must equal the device id (username)', CONNACK.IDENTIFIER_REJECTED);
  if (facts.hasWill) return refuse('ERR_MQTT_WILL_REFUSED', 'Will messages are not accepted', CONNACK.NOT_AUTHORIZED);
  return undefined;
}

/**
 * May this device publish this packet? Only to its own ingest topics, never retained (a retained reading would
 * be replayed to every later subscriber; SECURITY-CASES 37, 42).
 */
export function checkPublish(prefix: string, deviceId: string, packet: { topic: string; retain: boolean }): Refusal | undefined {
  if (packet.retain) return refuse('ERR_MQTT_RETAIN_REFUSED', 'Retained messages are not accepted');
  const topic = parseIngestTopic(prefix, packet.topic);
  if (topic === undefined || topic.deviceId !== deviceId) return refuse('ERR_MQTT_TOPIC_FORBIDDEN', `Device '${deviceId}' may not publish to '${packet.topic}'`);
  return undefined;
}

/**
 * May this device subscribe to this filter? Only its own outcomes topic, spelled out: `#`, `+/…`, `$SYS/#` and
 * any other device's topics are refused (SUBACK 0x80, §3.9.3; SECURITY-CASES 36).
 */
export function maySubscribe(prefix: string, deviceId: string, filter: string): boolean {
  return filter === outcomesTopic(prefix, deviceId);
}

/**
 * May the broker forward this message to this client? Only a device's own outcomes. Ingest messages (which
 * carry the device's token) are never forwarded to anyone.
 */
export function mayForward(prefix: string, deviceId: string, topic: string): boolean {
  return topic === outcomesTopic(prefix, deviceId);
}

function refuse<R>(code: string, text: string, returnCode?: R): Refusal<R> {
  return returnCode === undefined ? { code, text } : { code, text, returnCode };
}
