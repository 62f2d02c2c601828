import type { JWK } from 'jose';
import { connectAsync } from 'mqtt';
import { signDeviceToken } from '../../ingest';
import { mqttAudience, outcomesTopic, type OutcomeMessage } from '../../mqtt';

export interface SendMqttOptions {
  /** `mqtt://host:port` of the embedded broker. */
  url: string;
  /** The bridge's public base URL: the token audiences derive from it. */
  publicUrl: string;
  topicPrefix: string;
  deviceId: string;
  privateJwk: JWK;
  body: Buffer;
  mapping?: string;
}

/** The CONNECT password: a JWT the device signs for `<public base>/mqtt`, 2 minutes, used once. */
export function signConnectToken(privateJwk: JWK, deviceId: string, publicUrl: string): Promise<string> {
  return signDeviceToken({ privateJwk, deviceId, audience: mqttAudience(publicUrl) });
}

/**
 * The reference MQTT device: connects as the device (client id = username = device id, password = a signed JWT),
 * subscribes to its outcomes topic, publishes `<ingest JWT>\n<body>` with QoS 1, and resolves with the bridge's
 * answer once both the PUBACK and the outcome message have arrived.
 */
export async function sendMqtt(options: SendMqttOptions): Promise<OutcomeMessage> {
  const { deviceId, privateJwk, publicUrl, topicPrefix } = options;
  const client = await connectAsync(options.url, {
    protocolVersion: 4, clientId: deviceId, username: deviceId, password: await signConnectToken(privateJwk, deviceId, publicUrl), reconnectPeriod: 0,
  }, false);
  try {
    await client.subscribeAsync(outcomesTopic(topicPrefix, deviceId), { qos: 1 });
    const answer = new Promise<OutcomeMessage>((resolve) => {
      client.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString('utf8')) as OutcomeMessage));
    });
    const token = await signDeviceToken({ privateJwk, deviceId, audience: `${publicUrl}/ingest`, body: options.body });
    const topic = `${topicPrefix}/devices/${deviceId}/ingest${options.mapping ? `/${options.mapping}` : ''}`;
    await client.publishAsync(topic, Buffer.concat([Buffer.from(`${token}\n`), options.body]), { qos: 1 });
    return await answer;
  } finally {
    await client.endAsync();
  }
}
