import type { MqttConfig, TlsCredentials } from '../config';
import { startEmbeddedBroker } from './embedded-broker';
import { startExternalSubscriber } from './external-subscriber';
import { TOKEN_ALLOWANCE_BYTES, type MqttDeps } from './mqtt-deps';

export interface RunningMqtt {
  mode: MqttConfig['mode'];
  /** The embedded broker's `mqtt://host:port` (`mqtts://` over TLS), or the external broker's URL. */
  url: string;
  /** The embedded broker's bound port (undefined for an external broker). */
  port?: number;
  close(): Promise<void>;
}

/** The MQTT settings of a config: the packet limit follows the ingest body limit. */
export function mqttSettings(config: MqttConfig, ingestMaxBytes: number): MqttDeps['mqtt'] {
  return {
    topicPrefix: config.topicPrefix, maxInflight: config.maxInflight, connectTimeoutMs: config.connectTimeoutMs,
    maxPacketBytes: ingestMaxBytes + TOKEN_ALLOWANCE_BYTES,
  };
}

/**
 * Starts the configured MQTT transport: the embedded broker (MQTT over TLS when `tls` is given: IOMT_TLS_*), or
 * the client of an external one (whose TLS is the mqtts:// URL's; `tls` is not used).
 */
export async function startMqtt(config: MqttConfig, deps: MqttDeps, tls?: TlsCredentials): Promise<RunningMqtt> {
  if (config.mode === 'embedded') {
    const broker = await startEmbeddedBroker(deps, { host: config.host, port: config.port, ...(tls ? { tls } : {}) });
    return { mode: config.mode, url: broker.url, port: broker.port, close: broker.close };
  }
  const subscriber = await startExternalSubscriber(deps, config);
  return { mode: config.mode, url: subscriber.url, close: subscriber.close };
}
