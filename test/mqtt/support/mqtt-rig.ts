import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { httpSettings } from '../../../src/bridge';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { importJWK, SignJWT } from 'jose';
import { signDeviceToken } from '../../../src/ingest';
import { mqttAudience, mqttSettings, startEmbeddedBroker, type MqttDeps, type OutcomeMessage, type RunningBroker } from '../../../src/mqtt';
import { mappingRegistry } from '../../../src/mapping/registry';
import type { TlsCredentials } from '../../../src/config';
import type { Store } from '../../../src/store/port';
import { createTestBridge, type TestBridge, type TestDevice } from '../../support/test-bridge';

/** A test bridge (real store, mappings, validator) with the embedded broker on an ephemeral loopback port. */
export interface MqttRig {
  bridge: TestBridge;
  broker: RunningBroker;
  prefix: string;
  deps: MqttDeps;
  /** Makes the next `n` ingest commits throw, as a failing disk would (not a rejection of bad data). */
  failCommits(n: number): void;
  /** Every ingest commit that reached the store (CONNECTs not included), in order, and whether it completed. */
  commits: Array<{ jti?: string; done: boolean }>;
  close(): Promise<void>;
}

export interface RigOptions {
  env?: Record<string, string>;
  maxInflight?: number;
  connectTimeoutMs?: number;
  /** MQTT over TLS (IOMT_TLS_*, as readTlsCredentials returns them): the broker URL is then `mqtts://`. */
  tls?: TlsCredentials;
}

export async function startRig(options: RigOptions = {}): Promise<MqttRig> {
  const bridge = await createTestBridge({ IOMT_MQTT: 'embedded', IOMT_MQTT_PORT: '0', ...options.env });
  const prefix = bridge.config.mqtt?.topicPrefix ?? 'iomt';
  const { store, commits, failCommits } = instrumentedStore(bridge.store);
  const deps = mqttDepsOf(bridge, store, options);
  const broker = await startEmbeddedBroker(deps, { host: '127.0.0.1', port: 0, ...(options.tls ? { tls: options.tls } : {}) });
  return {
    bridge, broker, prefix, deps, commits, failCommits,
    async close() {
      await broker.close();
      await bridge.close();
    },
  };
}

/** The MQTT transport's dependencies over a test bridge (its settings, mappings, validator, metrics, clock). */
export function mqttDepsOf(bridge: TestBridge, store: Store, options: Pick<RigOptions, 'maxInflight' | 'connectTimeoutMs'> = {}): MqttDeps {
  const mqtt = bridge.config.mqtt!;
  return {
    settings: httpSettings(bridge.config),
    store, mappings: mappingRegistry(bridge.engines.mappings), validator: bridge.engines.validator, metrics: bridge.metrics, now: bridge.now,
    logger: pino({ level: 'silent' }),
    mqtt: { ...mqttSettings(mqtt, bridge.config.ingestMaxBytes), maxInflight: options.maxInflight ?? mqtt.maxInflight, connectTimeoutMs: options.connectTimeoutMs ?? mqtt.connectTimeoutMs },
  };
}

/**
 * The store with its ingest commits recorded (CONNECTs, which write no resources, are not) and, on demand, failing
 * the way a broken disk would: an exception, not a rejection of bad data.
 */
export function instrumentedStore(real: Store): Pick<MqttRig, 'commits' | 'failCommits'> & { store: Store } {
  let failures = 0;
  const commits: MqttRig['commits'] = [];
  const store: Store = {
    ...real,
    async commitIngest(commit) {
      if (commit.resources.length === 0) return real.commitIngest(commit); // a CONNECT's jti and audit entry
      const entry = { jti: commit.jti, done: false };
      commits.push(entry);
      if (failures > 0) {
        failures -= 1;
        throw new Error('SQLITE_IOERR: disk I/O error (simulated)');
      }
      const result = await real.commitIngest(commit);
      entry.done = true;
      return result;
    },
  };
  return { store, commits, failCommits: (n) => { failures = n; } };
}

/** The CONNECT password: a JWT the device signs for `<public base>/mqtt` (no body). */
export async function connectToken(rig: MqttRig, device: TestDevice, claims: { aud?: string; iss?: string; lifetime?: number; jti?: string } = {}): Promise<string> {
  const now = Math.floor(rig.bridge.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setIssuer(claims.iss ?? device.id)
    .setAudience(claims.aud ?? mqttAudience(rig.bridge.config.publicUrl))
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.lifetime ?? 120))
    .setJti(claims.jti ?? randomUUID())
    .sign(await importJWK(device.privateJwk, 'ES256'));
}

/** An ingest message: the device's ingest JWT over the exact body, `\n`, the body. */
export async function ingestMessage(rig: MqttRig, device: TestDevice, body: string, options: { jti?: string; signer?: TestDevice } = {}): Promise<Buffer> {
  const signer = options.signer ?? device;
  const token = await signDeviceToken({ privateJwk: signer.privateJwk, deviceId: signer.id, audience: rig.bridge.config.ingestAudience, body, now: rig.bridge.now, jti: options.jti });
  return Buffer.concat([Buffer.from(`${token}\n`), Buffer.from(body)]);
}

export const ingestTopic = (rig: MqttRig, deviceId: string, mapping?: string): string =>
  `${rig.prefix}/devices/${deviceId}/ingest${mapping ? `/${mapping}` : ''}`;
export const outcomes = (rig: MqttRig, deviceId: string): string => `${rig.prefix}/devices/${deviceId}/outcomes`;

/**
 * A device connected with mqtt.js (MQTT 3.1.1). Each reconnect needs a fresh password (the jti is used once):
 * `passwords` more are signed ahead and handed over on each close.
 */
export async function connectDevice(rig: MqttRig, device: TestDevice, options: IClientOptions & { spare?: number } = {}): Promise<MqttClient> {
  const spares = await Promise.all(Array.from({ length: options.spare ?? 0 }, () => connectToken(rig, device)));
  const client = await connectAsync(rig.broker.url, {
    protocolVersion: 4, clientId: device.id, username: device.id, password: await connectToken(rig, device), reconnectPeriod: 0, ...options,
  }, false);
  client.on('close', () => { client.options.password = spares.shift() ?? ''; });
  client.on('error', () => undefined); // refusals are asserted by the tests, not thrown at the process
  return client;
}

/** Resolves with the refusal code of a CONNECT (rejects if the broker accepts it). */
export async function connectRefusal(rig: MqttRig, options: IClientOptions): Promise<number> {
  try {
    const client = await connectAsync(rig.broker.url, { protocolVersion: 4, reconnectPeriod: 0, ...options }, false);
    await client.endAsync();
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
  throw new Error('the CONNECT was accepted');
}

/** The next outcome message on the device's outcomes topic (subscribe first). */
export function nextOutcome(client: MqttClient): Promise<OutcomeMessage> {
  return new Promise((resolve) => {
    client.once('message', (_topic, payload) => resolve(JSON.parse(payload.toString('utf8')) as OutcomeMessage));
  });
}

/** Resolves when the client's connection closes. */
export const closed = (client: MqttClient): Promise<void> => new Promise((resolve) => { client.once('close', () => resolve()); });
