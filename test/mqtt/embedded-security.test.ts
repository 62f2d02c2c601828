import type { IngestSummary } from '../../src/ingest';
import { auditHead, auditSince, example } from '../http/helpers';
import type { TestDevice } from '../support/test-bridge';
import { closed, connectDevice, connectRefusal, connectToken, ingestMessage, ingestTopic, nextOutcome, outcomes, startRig, type MqttRig } from './support/mqtt-rig';
import { connectPacket, publishPacket, rawConnect } from './support/raw-mqtt';

/** SECURITY-CASES 36–43 against the embedded broker, over real sockets: each refused, audited, nothing half-written. */

const MAX_INFLIGHT = 4;
const CONNECT_TIMEOUT_MS = 300;
let rig: MqttRig;
let n = 0;
const newDevice = (): Promise<TestDevice> => rig.bridge.addDevice(`sec-${(n += 1)}`, 'Patient/example');
const codesSince = async (head: number): Promise<string[]> => (await auditSince(rig.bridge.store, head)).map((e) => e.outcomeDesc?.split(':')[0] ?? 'success');

beforeAll(async () => { rig = await startRig({ maxInflight: MAX_INFLIGHT, connectTimeoutMs: CONNECT_TIMEOUT_MS }); });
afterAll(() => rig.close());

describe('CONNECT', () => {
  it('accepts client id = username = device id with a device-signed password, and audits it', async () => {
    const device = await newDevice();
    const head = await auditHead(rig.bridge.store);
    const client = await connectDevice(rig, device);
    expect(client.connected).toBe(true);
    expect(await auditSince(rig.bridge.store, head)).toEqual([expect.objectContaining({
      outcome: '0', outcomeDesc: `MQTT CONNECT (client id '${device.id}')`,
      agent: expect.arrayContaining([expect.objectContaining({ network: { address: '127.0.0.1', type: '2' } })]),
    })]);
    await client.endAsync();
  });

  it('refuses unknown, revoked, badly signed, wrong-audience, too long-lived and replayed passwords (0x04 / 0x05), each audited', async () => {
    const device = await newDevice();
    const other = await newDevice();
    const revoked = await newDevice();
    await rig.bridge.store.revokeDevice(revoked.id);
    const used = await connectToken(rig, device);
    await (await connectDevice(rig, device, { password: used })).endAsync();
    const head = await auditHead(rig.bridge.store);
    const as = (d: TestDevice, password: string) => ({ clientId: d.id, username: d.id, password });
    expect(await connectRefusal(rig, { clientId: 'ghost', username: 'ghost', password: await connectToken(rig, { ...device, id: 'ghost' }) })).toBe(4);
    expect(await connectRefusal(rig, as(revoked, await connectToken(rig, revoked)))).toBe(5);
    expect(await connectRefusal(rig, as(device, await connectToken(rig, other, { iss: device.id })))).toBe(4);
    expect(await connectRefusal(rig, as(device, await connectToken(rig, device, { aud: rig.bridge.config.ingestAudience })))).toBe(4);
    expect(await connectRefusal(rig, as(device, await connectToken(rig, device, { lifetime: 3600 })))).toBe(4);
    expect(await connectRefusal(rig, as(device, used))).toBe(4);
    expect(await connectRefusal(rig, { clientId: device.id, username: device.id })).toBe(4);
    expect(await codesSince(head)).toEqual([
      'ERR_DEVICE_UNKNOWN', 'ERR_DEVICE_REVOKED', 'ERR_DEVICE_TOKEN_SIGNATURE', 'ERR_DEVICE_TOKEN_AUDIENCE',
      'ERR_DEVICE_TOKEN_LIFETIME', 'ERR_JTI_REPLAYED', 'ERR_MQTT_CREDENTIALS_MISSING',
    ]);
  });

  it('case 38: refuses client ids `#` and `+` (and any id that is not a device id) with 0x02', async () => {
    const device = await newDevice();
    for (const clientId of ['#', '+', `${device.id}/#`, '$SYS']) {
      expect(await connectRefusal(rig, { clientId, username: clientId, password: await connectToken(rig, device) })).toBe(2);
    }
  });

  it('case 39: a second CONNECT with a victim\'s client id cannot take over its session', async () => {
    const victim = await newDevice();
    const attacker = await newDevice();
    const session = await connectDevice(rig, victim);
    await session.subscribeAsync(outcomes(rig, victim.id), { qos: 1 });
    const head = await auditHead(rig.bridge.store);
    // Its own credentials under the victim's client id; the victim's name with the attacker's key.
    expect(await connectRefusal(rig, { clientId: victim.id, username: attacker.id, password: await connectToken(rig, attacker) })).toBe(2);
    expect(await connectRefusal(rig, { clientId: victim.id, username: victim.id, password: await connectToken(rig, attacker, { iss: victim.id }) })).toBe(4);
    expect(await connectRefusal(rig, { clientId: victim.id, username: victim.id, password: await connectToken(rig, attacker) })).toBe(4);
    expect(await codesSince(head)).toEqual(['ERR_MQTT_CLIENT_ID_MISMATCH', 'ERR_DEVICE_TOKEN_SIGNATURE', 'ERR_MQTT_USERNAME_MISMATCH']);
    // The victim's session is untouched: still connected, still subscribed, still acknowledged.
    expect(session.connected).toBe(true);
    const answer = nextOutcome(session);
    await session.publishAsync(ingestTopic(rig, victim.id), await ingestMessage(rig, victim, example('thermometer', 'with-message-id.json')), { qos: 1 });
    expect(await answer).toMatchObject({ status: 202 });
    await session.endAsync();
  });

  it('case 42: refuses a zero-length client id (0x02) and a will message (0x05)', async () => {
    const device = await newDevice();
    const raw = await rawConnect(rig.broker.port);
    raw.send(connectPacket('', device.id, await connectToken(rig, device)));
    expect(await raw.next('connack')).toMatchObject({ returnCode: 2 });
    await raw.closed;
    expect(await connectRefusal(rig, {
      clientId: device.id, username: device.id, password: await connectToken(rig, device),
      will: { topic: ingestTopic(rig, device.id), payload: Buffer.from('x'), qos: 1, retain: true },
    })).toBe(5);
  });

  it('refuses MQTT 5 (protocol level 5) with 0x01: the embedded broker speaks 3.1.1; audited', async () => {
    const device = await newDevice();
    const head = await auditHead(rig.bridge.store);
    const raw = await rawConnect(rig.broker.port);
    raw.send(connectPacket(device.id, device.id, await connectToken(rig, device), 5));
    expect(await raw.next('connack')).toMatchObject({ returnCode: 1 });
    await raw.closed;
    await rig.broker.idle();
    expect(await codesSince(head)).toEqual(['ERR_MQTT_CONNECTION']);
  });

  it('case 42: closes a connection whose CONNECT never completes, and audits it', async () => {
    const head = await auditHead(rig.bridge.store);
    const silent = await rawConnect(rig.broker.port);
    const partial = await rawConnect(rig.broker.port);
    partial.socket.write(Buffer.from([0x10, 0x20, 0x00])); // a CONNECT header announcing 32 bytes, then nothing
    await Promise.all([silent.closed, partial.closed]);
    expect(silent.received).toEqual([]);
    expect(await codesSince(head)).toEqual(['ERR_MQTT_CONNECT_TIMEOUT', 'ERR_MQTT_CONNECT_TIMEOUT']);
  });
});

describe('SUBSCRIBE (case 36)', () => {
  it('grants only the device\'s own outcomes topic: `#`, `+/…`, `$SYS/#` and other devices\' topics get 0x80', async () => {
    const device = await newDevice();
    const client = await connectDevice(rig, device);
    const filters = ['#', `+/devices/${device.id}/outcomes`, '$SYS/#', `${rig.prefix}/devices/+/outcomes`, `${rig.prefix}/devices/other/outcomes`, `${rig.prefix}/devices/${device.id}/ingest`, outcomes(rig, device.id)];
    const head = await auditHead(rig.bridge.store);
    // mqtt.js rejects a SUBACK holding a failure; the SUBACK itself rides on the error.
    const suback = await client.subscribeAsync(filters, { qos: 1 }).then(() => undefined, (error: { packet?: { granted: number[] } }) => error.packet);
    expect(suback?.granted).toEqual(filters.map((_f, i) => (i === filters.length - 1 ? 1 : 128)));
    expect(await codesSince(head)).toEqual(Array(filters.length - 1).fill('ERR_MQTT_SUBSCRIBE_FORBIDDEN'));
    await client.endAsync();
  });
});

describe('PUBLISH', () => {
  it('case 37: to another device\'s topic: connection closed, nothing stored, audited', async () => {
    const device = await newDevice();
    const victim = await newDevice();
    const client = await connectDevice(rig, device);
    const before = await rig.bridge.store.counts();
    const head = await auditHead(rig.bridge.store);
    const down = closed(client);
    client.publish(ingestTopic(rig, victim.id), await ingestMessage(rig, device, example('thermometer', 'with-message-id.json')), { qos: 1 });
    await down;
    expect((await rig.bridge.store.counts()).resources).toBe(before.resources);
    expect(await codesSince(head)).toEqual(['ERR_MQTT_TOPIC_FORBIDDEN']);
  });

  it('case 37: on its own topic, a token whose verified iss is another device is refused (403, acknowledged)', async () => {
    const gateway = await newDevice();
    const other = await newDevice();
    const client = await connectDevice(rig, gateway);
    await client.subscribeAsync(outcomes(rig, gateway.id), { qos: 1 });
    const answer = nextOutcome(client);
    await client.publishAsync(ingestTopic(rig, gateway.id), await ingestMessage(rig, gateway, example('thermometer', 'with-message-id.json'), { signer: other }), { qos: 1 });
    expect(await answer).toMatchObject({ status: 403, code: 'ERR_MQTT_TOPIC_DEVICE', response: { issue: [{ expression: ['topic'] }] } });
    await client.endAsync();
  });

  it('case 40: a PUBLISH over the maximum packet size closes the connection before it is read; audited', async () => {
    const device = await newDevice();
    const client = await connectDevice(rig, device);
    const head = await auditHead(rig.bridge.store);
    const down = closed(client);
    const body = JSON.stringify({ pad: 'x'.repeat(rig.deps.mqtt.maxPacketBytes) });
    client.publish(ingestTopic(rig, device.id), await ingestMessage(rig, device, body), { qos: 1 });
    await down;
    expect(await codesSince(head)).toEqual(expect.arrayContaining(['ERR_MQTT_PACKET_TOO_LARGE']));
  });

  it('case 41: a QoS 1 flood beyond the in-flight limit closes the connection; what was within it is processed', async () => {
    const device = await newDevice();
    const raw = await rawConnect(rig.broker.port);
    const head = await auditHead(rig.bridge.store);
    const body = example('thermometer', 'with-message-id.json');
    const messages = await Promise.all(Array.from({ length: MAX_INFLIGHT + 3 }, () => ingestMessage(rig, device, body)));
    // All in one write, behind the CONNECT: the broker takes them up together once the CONNECT is accepted.
    raw.send(connectPacket(device.id, device.id, await connectToken(rig, device)), ...messages.map((m, i) => publishPacket(ingestTopic(rig, device.id), m, i + 1)));
    await raw.closed;
    await rig.broker.idle(); // the one being committed when the connection closed; those behind it are skipped
    const codes = await codesSince(head);
    expect(codes).toContain('ERR_MQTT_INFLIGHT_EXCEEDED');
    expect(codes.filter((c) => c === 'success').length).toBeLessThanOrEqual(MAX_INFLIGHT); // never one beyond the limit
    expect(raw.received.filter((p) => p.cmd === 'puback').length).toBeLessThanOrEqual(MAX_INFLIGHT);
  });

  it('case 42: a retained PUBLISH closes the connection; nothing stored, nothing retained', async () => {
    const device = await newDevice();
    const client = await connectDevice(rig, device);
    const before = await rig.bridge.store.counts();
    const head = await auditHead(rig.bridge.store);
    const down = closed(client);
    client.publish(ingestTopic(rig, device.id), await ingestMessage(rig, device, example('thermometer', 'with-message-id.json')), { qos: 1, retain: true });
    await down;
    expect((await rig.bridge.store.counts()).resources).toBe(before.resources);
    expect(await codesSince(head)).toEqual(['ERR_MQTT_RETAIN_REFUSED']);
    // A later subscriber to the outcomes topic gets nothing retained.
    const again = await connectDevice(rig, device);
    const granted = await again.subscribeAsync(outcomes(rig, device.id), { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    await again.endAsync();
  });

  it('case 43: the same signed message twice, the second as a DUP redelivery: acknowledged both times, stored once', async () => {
    const device = await newDevice();
    const raw = await rawConnect(rig.broker.port);
    raw.send(connectPacket(device.id, device.id, await connectToken(rig, device)));
    expect(await raw.next('connack')).toMatchObject({ returnCode: 0 });
    raw.send({ cmd: 'subscribe', messageId: 100, subscriptions: [{ topic: outcomes(rig, device.id), qos: 1 }] });
    await raw.next('suback');
    const before = await rig.bridge.store.counts();
    const message = await ingestMessage(rig, device, example('bp-cuff', 'with-seq.json'));
    raw.send(publishPacket(ingestTopic(rig, device.id), message, 7));
    expect(await raw.next('puback')).toMatchObject({ messageId: 7 });
    raw.send(publishPacket(ingestTopic(rig, device.id), message, 7, { dup: true }));
    expect(await raw.next('puback')).toMatchObject({ messageId: 7 });
    const answers = [await raw.next('publish'), await raw.next('publish')].map((p) => JSON.parse((p as { payload: Buffer }).payload.toString()) as { response: IngestSummary });
    expect(answers.map((a) => a.response.status)).toEqual(['accepted', 'replayed']);
    const after = await rig.bridge.store.counts();
    expect({ resources: after.resources - before.resources, jti: after.jti - before.jti }).toEqual({ resources: 3, jti: 1 });
    raw.socket.destroy();
  });
});
