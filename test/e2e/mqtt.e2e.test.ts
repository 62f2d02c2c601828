import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { registerDevices, type ProcessDevice } from '../delivery/support/bridge-process';
import { signDeviceToken } from '../../src/ingest';
import type { IngestSummary } from '../../src/ingest';
import type { OutcomeMessage } from '../../src/mqtt';
import { bridgeEnv, killLeftovers, runCli, startServe, type ServedBridge } from './support/bridge-process';
import { example } from '../http/helpers';

// MQTT end to end, as an operator runs it: the real `serve` process with its embedded broker (any free port),
// and with an external broker — the machine's Mosquitto on 127.0.0.1:1883 — through a shared subscription and a
// persistent session. Each run uses its own topic prefix and share group, so parallel runs never see each other.

const MOSQUITTO = 'mqtt://127.0.0.1:1883';
const run = `${process.pid}-${Date.now().toString(36)}`;
const dataDirs: string[] = [];
const bridges: ServedBridge[] = [];

afterAll(() => {
  killLeftovers();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function setUp(ids: string[]): Promise<{ dataDir: string; devices: ProcessDevice[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'iomt-mqtt-e2e-'));
  dataDirs.push(dataDir);
  return { dataDir, devices: await registerDevices(dataDir, ids, 'Patient/mqtt-e2e') };
}

async function serve(dataDir: string, env: Record<string, string> = {}): Promise<ServedBridge> {
  const bridge = await startServe(dataDir, env);
  bridges.push(bridge);
  return bridge;
}

/** A bearer token from the bridge's development issuer, through the real CLI. */
async function accessToken(dataDir: string, bridge: ServedBridge): Promise<string> {
  const result = await runCli(['token', '--scope', 'system/*.rs'], bridgeEnv({ IOMT_DATA_DIR: dataDir, IOMT_PUBLIC_URL: bridge.publicUrl }));
  expect(result.code).toBe(0);
  return result.stdout.trim();
}

async function observationCount(bridge: ServedBridge, token: string, device: string): Promise<number> {
  const res = await fetch(`${bridge.url}/fhir/Observation?device=Device/${device}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { total: number }).total;
}

describe('the embedded broker of a real `serve` process', () => {
  it('takes a reading sent with `iomt-bridge send --mqtt` and serves it over the FHIR API', async () => {
    const { dataDir, devices: [device] } = await setUp(['mqtt-e2e-oxi']);
    const bridge = await serve(dataDir);
    expect(bridge.mqttUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const key = join(dataDir, 'device.jwk.json');
    writeFileSync(key, JSON.stringify(device!.privateJwk), { mode: 0o600 });
    const input = join(dataDir, 'reading.json');
    writeFileSync(input, example('pulse-oximeter', 'with-message-id.json'));
    const sent = await runCli(['send', '--mqtt', bridge.mqttUrl!, '--device', device!.id, '--key', key, '--input', input, '--url', bridge.publicUrl], bridgeEnv({ IOMT_DATA_DIR: dataDir }));
    expect(sent).toMatchObject({ code: 0, stderr: '' });
    const outcome = JSON.parse(sent.stdout) as OutcomeMessage & { response: IngestSummary };
    expect(outcome).toMatchObject({ status: 202, response: { status: 'accepted', items: { accepted: 1 } } });
    const observations = outcome.response.results[0]!.resources!.filter((r) => r.startsWith('Observation/'));
    expect(observations.length).toBeGreaterThan(0);
    expect(await observationCount(bridge, await accessToken(dataDir, bridge), device!.id)).toBe(observations.length);
    expect(await bridge.stop()).toBe(0);
  });
});

describe('an external broker (Mosquitto on 127.0.0.1:1883)', () => {
  const prefix = `iomt-e2e-${run}`;
  const env = { IOMT_MQTT: 'external', IOMT_MQTT_URL: MOSQUITTO, IOMT_MQTT_TOPIC_PREFIX: prefix, IOMT_MQTT_SHARE_GROUP: `g-${run}`, IOMT_MQTT_SESSION_EXPIRY_S: '300' };
  let device: MqttClient | undefined;
  afterAll(async () => device?.endAsync());

  /** The device's ingest message for a reading, signed for this bridge. */
  async function message(bridge: ServedBridge, d: ProcessDevice, body: string): Promise<Buffer> {
    const token = await signDeviceToken({ privateJwk: d.privateJwk, deviceId: d.id, audience: `${bridge.publicUrl}/ingest`, body });
    return Buffer.concat([Buffer.from(`${token}\n`), Buffer.from(body)]);
  }
  const nextOutcome = (client: MqttClient): Promise<OutcomeMessage> =>
    new Promise((resolve) => client.once('message', (_t, payload) => resolve(JSON.parse(payload.toString()) as OutcomeMessage)));

  it('stores a reading a device published at the broker, once; and one published while the bridge was stopped, after it starts', async () => {
    const { dataDir, devices: [d] } = await setUp(['mqtt-e2e-ext']);
    // Fails loudly (not skipped) when Mosquitto is not running: .ci/run starts it.
    device = await connectAsync(MOSQUITTO, { clientId: `dev-${run}`, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 }, false);
    await device.subscribeAsync(`${prefix}/devices/${d!.id}/outcomes`, { qos: 1 });
    // A fixed port: the device's token audience names it, and the restarted bridge must keep it.
    const first = await serve(dataDir, { ...env });
    const publicUrl = first.publicUrl;
    let answer = nextOutcome(device);
    await device.publishAsync(`${prefix}/devices/${d!.id}/ingest`, await message(first, d!, example('thermometer', 'with-message-id.json')), { qos: 1 });
    expect(await answer).toMatchObject({ status: 202, response: { status: 'accepted', items: { accepted: 1 } } });
    const token = await accessToken(dataDir, first);
    expect(await observationCount(first, token, d!.id)).toBe(1);
    expect(await first.stop()).toBe(0);

    // The bridge is down; the broker acknowledges the device and keeps the message for the bridge's session.
    const whileDown = await message(first, d!, example('thermometer', 'fever-no-id.json'));
    await device.publishAsync(`${prefix}/devices/${d!.id}/ingest`, whileDown, { qos: 1 });
    answer = nextOutcome(device);
    const second = await serve(dataDir, { ...env, IOMT_PUBLIC_URL: publicUrl });
    expect(await answer).toMatchObject({ status: 202, response: { status: 'accepted', items: { accepted: 1 } } });
    expect(await observationCount(second, await accessToken(dataDir, second), d!.id)).toBe(2);
    expect(second.logLines.join('\n')).toContain(`"mqtt":"${MOSQUITTO}"`);
    expect(await second.stop()).toBe(0);
  });
});
