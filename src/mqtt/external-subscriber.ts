import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { ExternalMqttConfig } from '../config';
import { handleIngestMessage } from './handle-ingest-message';
import type { MqttDeps } from './mqtt-deps';
import { sharedIngestFilter } from './topics';

export interface RunningSubscriber {
  /** The broker URL (without credentials). */
  url: string;
  client: MqttClient;
  close(): Promise<void>;
}

/**
 * The bridge as a client of an external MQTT 5 broker: one persistent session (clean start off, a session expiry),
 * a QoS 1 shared subscription to every device's ingest topics, and each message's PUBACK sent only once the
 * message is committed — mqtt.js writes the PUBACK when `handleMessage` calls back. A store failure leaves the
 * message unacknowledged and drops the connection: on reconnecting, the broker sends it again (DUP), nothing lost.
 * Devices are authenticated by the JWT in each message; who may publish what at the broker is its ACLs' business.
 * Resolves once connected and subscribed; rejects if that does not happen within the connect timeout.
 * See: https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html#_Toc3901230 (§4.4 Message delivery retry)
 */
export async function startExternalSubscriber(deps: MqttDeps, config: ExternalMqttConfig): Promise<RunningSubscriber> {
  const client = connect(config.url, clientOptions(config));
  let inFlight = Promise.resolve();
  let stopping = false;
  // Per subscriber, not per message: the config does not change while it runs.
  const ingestDeps = { ...deps, topicPrefix: config.topicPrefix };
  const sourceAddress = new URL(config.url).hostname;
  client.handleMessage = (packet, callback) => {
    if (packet.cmd !== 'publish') return callback();
    const publish = packet as IPublishPacket;
    inFlight = inFlight.then(async () => {
      if (stopping) return callback(new Error('stopping')); // left for the next start (or another bridge)
      const verdict = await handleIngestMessage(ingestDeps, {
        topic: publish.topic, payload: Buffer.from(publish.payload as Buffer), messageId: publish.messageId, sourceAddress,
      }).catch((error: unknown) => ({ action: 'retry' as const, error }));
      deps.metrics.mqttMessages.inc({ outcome: verdict.action });
      if (verdict.action === 'ack') {
        callback();
        if (verdict.reply) client.publish(verdict.reply.topic, verdict.reply.payload, { qos: 1, retain: false });
        return;
      }
      deps.logger.error({ err: verdict.error, topic: publish.topic, messageId: publish.messageId }, 'mqtt message not stored; reconnecting so that the broker redelivers it');
      callback(new Error('not stored'));
      client.stream.destroy(); // MQTT resends unacknowledged messages only on a new connection (§4.4)
    });
  };
  client.on('error', (err) => deps.logger.error({ err: err.message, url: safeUrl(config.url) }, 'mqtt client error'));
  client.on('reconnect', () => deps.logger.info({ url: safeUrl(config.url) }, 'mqtt reconnecting'));
  deps.metrics.mqtt.connections = () => (client.connected ? 1 : 0);
  try {
    await connected(client, config.connectTimeoutMs);
    await client.subscribeAsync(sharedIngestFilter(config.shareGroup, config.topicPrefix), { qos: 1 });
  } catch (error) {
    client.end(true);
    throw new Error(`MQTT broker ${safeUrl(config.url)} not reachable: ${(error as Error).message}`, { cause: error });
  }
  return {
    url: safeUrl(config.url), client,
    async close() {
      stopping = true;
      await inFlight;
      await client.endAsync();
    },
  };
}

function clientOptions(config: ExternalMqttConfig): IClientOptions {
  const options: IClientOptions = {
    clientId: config.clientId,
    protocolVersion: 5,
    // [MQTT-3.1.2-4]/§3.1.2.11.2: clean start off plus a session expiry, so the broker keeps the subscription and
    // queues QoS 1 messages while the bridge is stopped.
    clean: false,
    properties: { sessionExpiryInterval: config.sessionExpiryS },
    connectTimeout: config.connectTimeoutMs,
    reconnectPeriod: 1000,
    resubscribe: true,
  };
  if (config.username !== undefined) options.username = config.username;
  if (config.password !== undefined) options.password = config.password;
  // SECURITY-CASES 28: TLS 1.3 minimum towards the broker.
  if (config.url.startsWith('mqtts:')) Object.assign(options, { minVersion: 'TLSv1.3', rejectUnauthorized: true });
  return options;
}

function connected(client: MqttClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const safeUrl = (url: string): string => {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString().replace(/\/$/, '');
};
