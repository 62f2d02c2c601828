import type { Logger } from 'pino';
import type { IngestDeps, IngestSettings } from '../ingest';

/** The MQTT settings, from the validated config (IOMT_MQTT_*). */
export interface MqttSettings {
  /** `<prefix>/devices/{id}/…` (IOMT_MQTT_TOPIC_PREFIX). */
  topicPrefix: string;
  /** Largest PUBLISH accepted: IOMT_INGEST_MAX_BYTES plus room for the token and the topic. */
  maxPacketBytes: number;
  /** QoS 1 messages a device may have unacknowledged at once (IOMT_MQTT_MAX_INFLIGHT). */
  maxInflight: number;
  /** A CONNECT must arrive and be answered within this (IOMT_MQTT_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
}

/** Everything an MQTT transport runs with; `settings` is read at call time (the public URL may follow the port). */
export interface MqttDeps extends IngestDeps {
  settings: IngestSettings & { publicUrl: string };
  mqtt: MqttSettings;
  logger: Logger;
}

/** Room for the device JWT (8,192 characters at most), the `\n`, the topic and the MQTT headers. */
export const TOKEN_ALLOWANCE_BYTES = 16 * 1024;

/** `<public base>/mqtt`: the `aud` of CONNECT passwords — distinct from the ingest audience, so neither token passes for the other. */
export const mqttAudience = (publicUrl: string): string => `${publicUrl}/mqtt`;
