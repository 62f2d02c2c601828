import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestSummary } from '../../src/ingest';
import { example } from '../http/helpers';
import { connectDevice, ingestMessage, ingestTopic, nextOutcome, outcomes, startRig, type MqttRig } from './support/mqtt-rig';

// A mapping that takes only what arrives on one MQTT topic (`match: {topic}`, docs/mappings.md), in front of the
// real thermometer mapping: the topic picks the mapping; HTTP, which has no topic, never picks it.

const dir = mkdtempSync(join(tmpdir(), 'iomt-topic-mappings-'));
const thermometer = readFileSync(join(__dirname, '../../mappings/thermometer/mapping.yaml'), 'utf8');
mkdirSync(join(dir, 'a-ward'));
writeFileSync(join(dir, 'a-ward', 'mapping.yaml'), thermometer
  .replace(/^id: thermometer$/m, 'id: ward-thermometer')
  .replace(/^match: .*$/m, 'match: { topic: "iomt/devices/+/ingest" }'));
mkdirSync(join(dir, 'thermometer'));
writeFileSync(join(dir, 'thermometer', 'mapping.yaml'), thermometer);

let rig: MqttRig;
beforeAll(async () => { rig = await startRig({ env: { IOMT_MAPPINGS_DIR: dir } }); });
afterAll(async () => {
  await rig.close();
  rmSync(dir, { recursive: true, force: true });
});

it('picks the mapping by the full topic over MQTT; HTTP and a topic naming a mapping do not use it', async () => {
  expect(rig.bridge.engines.mappings.map((m) => m.id)).toEqual(['ward-thermometer', 'thermometer']);
  const device = await rig.bridge.addDevice('topic-thermo-1', 'Patient/example');
  const client = await connectDevice(rig, device);
  await client.subscribeAsync(outcomes(rig, device.id), { qos: 1 });
  const body = example('thermometer', 'with-message-id.json');
  const mappingOf = async (topic: string): Promise<string | undefined> => {
    const answer = nextOutcome(client);
    await client.publishAsync(topic, await ingestMessage(rig, device, body), { qos: 1 });
    return ((await answer).response as IngestSummary).results[0]?.mapping;
  };
  expect(await mappingOf(ingestTopic(rig, device.id))).toBe('ward-thermometer');
  expect(await mappingOf(ingestTopic(rig, device.id, 'thermometer'))).toBe('thermometer');
  const http = await rig.bridge.ingest(device, body);
  expect(http.statusCode).toBe(202);
  expect((JSON.parse(http.payload) as IngestSummary).results[0]?.mapping).toBe('thermometer');
  await client.endAsync();
});
