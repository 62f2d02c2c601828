import { connectAsync, type MqttClient } from 'mqtt';
import { signDeviceToken, type IngestSummary } from '../../src/ingest';
import { startExternalSubscriber, type OutcomeMessage, type RunningSubscriber } from '../../src/mqtt';
import type { ExternalMqttConfig } from '../../src/config';
import { example } from '../http/helpers';
import { createTestBridge, type TestBridge, type TestDevice } from '../support/test-bridge';
import { instrumentedStore, mqttDepsOf } from './support/mqtt-rig';

// The external-broker client against the machine's Mosquitto (127.0.0.1:1883; .ci/run starts it). Topic prefix and
// share group are unique to this run, so parallel runs on the same broker never see each other's messages.

const MOSQUITTO = 'mqtt://127.0.0.1:1883';
const run = `${process.pid}-${Date.now().toString(36)}`;
const prefix = `iomt-ext-${run}`;
let bridge: TestBridge;
let instrumented: ReturnType<typeof instrumentedStore>;
let subscriber: RunningSubscriber | undefined;
let device: MqttClient;
let oxi: TestDevice;

beforeAll(async () => {
  bridge = await createTestBridge({ IOMT_MQTT: 'external', IOMT_MQTT_URL: MOSQUITTO, IOMT_MQTT_TOPIC_PREFIX: prefix, IOMT_MQTT_SHARE_GROUP: `g-${run}`, IOMT_MQTT_SESSION_EXPIRY_S: '300' });
  instrumented = instrumentedStore(bridge.store);
  oxi = await bridge.addDevice('ext-oxi-1', 'Patient/example');
  // Fails loudly, not skipped, when Mosquitto cannot be reached.
  device = await connectAsync(MOSQUITTO, { clientId: `dev-${run}`, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 }, false);
  await device.subscribeAsync(`${prefix}/devices/${oxi.id}/outcomes`, { qos: 1 });
  subscriber = await startExternalSubscriber(mqttDepsOf(bridge, instrumented.store), bridge.config.mqtt as ExternalMqttConfig);
});
afterAll(async () => {
  await subscriber?.close();
  await device.endAsync();
  await bridge.close();
});

const nextOutcome = (): Promise<OutcomeMessage> =>
  new Promise((resolve) => device.once('message', (_t, payload) => resolve(JSON.parse(payload.toString()) as OutcomeMessage)));

async function publish(body: string, topic = `${prefix}/devices/${oxi.id}/ingest`): Promise<Buffer> {
  const token = await signDeviceToken({ privateJwk: oxi.privateJwk, deviceId: oxi.id, audience: bridge.config.ingestAudience, body });
  const message = Buffer.concat([Buffer.from(`${token}\n`), Buffer.from(body)]);
  await device.publishAsync(topic, message, { qos: 1 });
  return message;
}

it('stores a message a device published at the broker once, and answers on its outcomes topic', async () => {
  const before = await bridge.store.counts();
  const answer = nextOutcome();
  await publish(example('pulse-oximeter', 'with-message-id.json'));
  expect(await answer).toMatchObject({ status: 202, topic: `${prefix}/devices/${oxi.id}/ingest`, response: { status: 'accepted', resources: { written: 3 } } });
  expect((await bridge.store.counts()).resources - before.resources).toBe(3);
});

it('checks the topic against the verified token: another device\'s topic is refused (403), acknowledged', async () => {
  const answer = new Promise<OutcomeMessage>((resolve) => {
    void device.subscribeAsync(`${prefix}/devices/someone-else/outcomes`, { qos: 1 }).then(() => {
      device.once('message', (_t, payload) => resolve(JSON.parse(payload.toString()) as OutcomeMessage));
      void publish(example('thermometer', 'with-message-id.json'), `${prefix}/devices/someone-else/ingest`);
    });
  });
  expect(await answer).toMatchObject({ status: 403, code: 'ERR_MQTT_TOPIC_DEVICE' });
});

it('leaves a message it could not store unacknowledged; the broker sends it again and it is stored once', async () => {
  const before = await bridge.store.counts();
  const commitsBefore = instrumented.commits.length;
  instrumented.failCommits(1);
  const answer = nextOutcome();
  await publish(example('bp-cuff', 'with-seq.json'));
  const outcome = await answer;
  expect(outcome).toMatchObject({ status: 202, response: { status: 'accepted' } });
  expect(instrumented.commits.slice(commitsBefore).map((c) => c.done)).toEqual([false, true]);
  // New: the Observations (the device's Device resource is already stored), each once.
  const observations = (outcome.response as IngestSummary).results[0]!.resources!.filter((r) => r.startsWith('Observation/'));
  expect((await bridge.store.counts()).resources - before.resources).toBe(observations.length);
});

it('refuses to start when the broker cannot be reached, naming it', async () => {
  const config = { ...(bridge.config.mqtt as ExternalMqttConfig), url: 'mqtt://127.0.0.1:1', connectTimeoutMs: 500 };
  await expect(startExternalSubscriber(mqttDepsOf(bridge, bridge.store), config)).rejects.toThrow(/^MQTT broker mqtt:\/\/127\.0\.0\.1:1 not reachable/);
});
