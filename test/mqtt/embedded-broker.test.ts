import type { Observation, OperationOutcome } from 'fhir/r4';
import type { IngestSummary } from '../../src/ingest';
import { auditSince, auditHead, example, exampleObject, expressionsOf } from '../http/helpers';
import { closed, connectDevice, ingestMessage, ingestTopic, nextOutcome, outcomes, startRig, type MqttRig } from './support/mqtt-rig';

/**
 * The embedded broker over real loopback sockets, with an mqtt.js device: QoS 1 readings are committed before
 * their PUBACK, answered on the outcomes topic with the HTTP route's JSON, and never lost when the store fails.
 */

let rig: MqttRig;
let n = 0;
const nextId = () => `mq-dev-${(n += 1)}`;

beforeAll(async () => { rig = await startRig(); });
afterAll(() => rig.close());

describe('a QoS 1 reading over the embedded broker', () => {
  it('is committed before its PUBACK: the Observation is readable the moment the PUBACK arrives', async () => {
    const device = await rig.bridge.addDevice(nextId(), 'Patient/example');
    const client = await connectDevice(rig, device);
    await client.subscribeAsync(outcomes(rig, device.id), { qos: 1 });
    const answer = nextOutcome(client);
    const before = await rig.bridge.store.counts();
    const message = await ingestMessage(rig, device, example('pulse-oximeter', 'with-message-id.json'));
    const commitsBefore = rig.commits.length;
    await client.publishAsync(ingestTopic(rig, device.id), message, { qos: 1 });
    // At the PUBACK: the commit had finished, and what it wrote is there.
    expect(rig.commits.slice(commitsBefore)).toEqual([expect.objectContaining({ done: true })]);
    const outcome = await answer;
    const summary = outcome.response as IngestSummary;
    const observation = summary.results[0]!.resources!.find((r) => r.startsWith('Observation/'))!;
    expect(await rig.bridge.store.read('Observation', observation.slice('Observation/'.length))).toMatchObject({ resourceType: 'Observation' });
    const after = await rig.bridge.store.counts();
    expect({ resources: after.resources - before.resources, outbox: after.outbox - before.outbox, jti: after.jti - before.jti }).toEqual({ resources: 3, outbox: 3, jti: 1 });
    expect(outcome).toMatchObject({ status: 202, topic: ingestTopic(rig, device.id), messageId: expect.any(Number), jti: expect.any(String), requestId: expect.any(String) });
    expect(summary).toMatchObject({ status: 'accepted', items: { received: 1, accepted: 1, rejected: 0 }, resources: { written: 3, unchanged: 0 } });
    await client.endAsync();
  });

  it('is served by the FHIR API, with an outbox row, and audited under the device with its source address', async () => {
    const device = await rig.bridge.addDevice(nextId(), 'Patient/example');
    const client = await connectDevice(rig, device);
    await client.subscribeAsync(outcomes(rig, device.id), { qos: 1 });
    const answer = nextOutcome(client);
    const head = await auditHead(rig.bridge.store);
    await client.publishAsync(ingestTopic(rig, device.id), await ingestMessage(rig, device, example('thermometer', 'with-message-id.json')), { qos: 1 });
    const summary = (await answer).response as IngestSummary;
    const reference = summary.results[0]!.resources!.find((r) => r.startsWith('Observation/'))!;
    const audits = await auditSince(rig.bridge.store, head);
    const read = await rig.bridge.get(`/fhir/${reference}`, await rig.bridge.token('system/*.rs'));
    expect(read.statusCode).toBe(200);
    expect((JSON.parse(read.payload) as Observation).device?.reference).toBe(`Device/${device.id}`);
    const outbox = await rig.bridge.store.listOutbox({ limit: 1000 });
    expect(outbox.some((e) => `${e.resourceType}/${e.resourceId}` === reference)).toBe(true);
    expect(audits).toEqual([expect.objectContaining({
      outcome: '0', agent: expect.arrayContaining([expect.objectContaining({ who: { identifier: { system: 'urn:iomt-bridge:device', value: device.id } }, network: { address: '127.0.0.1', type: '2' } })]),
      entity: expect.arrayContaining([expect.objectContaining({ what: { reference } })]),
    })]);
    await client.endAsync();
  });

  it('reads NDJSON and a mapping named by the topic, as HTTP does', async () => {
    const device = await rig.bridge.addDevice(nextId(), 'Patient/example');
    const client = await connectDevice(rig, device);
    await client.subscribeAsync(outcomes(rig, device.id), { qos: 1 });
    const body = [exampleObject('thermometer', 'with-message-id.json'), exampleObject('thermometer', 'fever-no-id.json')].map((o) => JSON.stringify(o)).join('\n');
    let answer = nextOutcome(client);
    await client.publishAsync(ingestTopic(rig, device.id, 'thermometer'), await ingestMessage(rig, device, body), { qos: 1 });
    expect((await answer).response).toMatchObject({ status: 'accepted', items: { received: 2, accepted: 2 }, results: [{ mapping: 'thermometer' }, { mapping: 'thermometer' }] });
    answer = nextOutcome(client);
    await client.publishAsync(ingestTopic(rig, device.id, 'no-such-mapping'), await ingestMessage(rig, device, body), { qos: 1 });
    expect(await answer).toMatchObject({ status: 404, code: 'ERR_NOT_FOUND', response: { resourceType: 'OperationOutcome', issue: [{ expression: ['mappingId'] }] } });
    await client.endAsync();
  });
});

describe('bad data is acknowledged (redelivering cannot fix it) and answered with the OperationOutcome', () => {
  it('a reading refused by validation: PUBACK, 422 with FHIRPath expressions, nothing stored, audited as a failure', async () => {
    const device = await rig.bridge.addDevice(nextId(), 'Patient/example');
    const client = await connectDevice(rig, device);
    await client.subscribeAsync(outcomes(rig, device.id), { qos: 1 });
    const answer = nextOutcome(client);
    const before = await rig.bridge.store.counts();
    const head = await auditHead(rig.bridge.store);
    const bad = JSON.stringify({ ...exampleObject('pulse-oximeter', 'with-message-id.json'), spo2: 'high' });
    await client.publishAsync(ingestTopic(rig, device.id), await ingestMessage(rig, device, bad), { qos: 1 });
    const outcome = await answer;
    expect(outcome).toMatchObject({ status: 422, code: 'ERR_INGEST_REJECTED' });
    expect(expressionsOf(outcome.response as OperationOutcome)).toEqual(['item[0].spo2']);
    expect((await rig.bridge.store.counts()).resources).toBe(before.resources);
    expect(await auditSince(rig.bridge.store, head)).toEqual([expect.objectContaining({ outcome: '4', outcomeDesc: 'ERR_INGEST_REJECTED' })]);
    await client.endAsync();
  });

  it('answers with the very JSON the HTTP route answers: a partly accepted batch, and a refusal', async () => {
    const device = await rig.bridge.addDevice(nextId(), 'Patient/example');
    const client = await connectDevice(rig, device);
    await client.subscribeAsync(outcomes(rig, device.id), { qos: 1 });
    const bad = JSON.stringify([{ ...exampleObject('pulse-oximeter', 'with-message-id.json'), spo2: 'high' }, exampleObject('thermometer', 'fever-no-id.json')]);
    const http = await rig.bridge.ingest(device, bad);
    const answer = nextOutcome(client);
    await client.publishAsync(ingestTopic(rig, device.id), await ingestMessage(rig, device, bad), { qos: 1 });
    const outcome = await answer;
    expect(outcome.status).toBe(http.statusCode);
    // The second item was stored by the HTTP request first, so MQTT finds it unchanged; all else is identical.
    const httpBody = JSON.parse(http.payload) as IngestSummary;
    expect(outcome.response).toEqual({ ...httpBody, resources: { written: 0, unchanged: httpBody.resources.written + httpBody.resources.unchanged } });
    const refused = JSON.stringify({ ...exampleObject('pulse-oximeter', 'with-message-id.json'), spo2: 'high' });
    const httpRefusal = await rig.bridge.ingest(device, refused);
    const second = nextOutcome(client);
    await client.publishAsync(ingestTopic(rig, device.id), await ingestMessage(rig, device, refused), { qos: 1 });
    expect(await second).toMatchObject({ status: httpRefusal.statusCode, code: 'ERR_INGEST_REJECTED', response: JSON.parse(httpRefusal.payload) as OperationOutcome });
    await client.endAsync();
  });

  it('a bad token (expired, or over another body): PUBACK and 401 with its code', async () => {
    const device = await rig.bridge.addDevice(nextId(), 'Patient/example');
    const client = await connectDevice(rig, device);
    await client.subscribeAsync(outcomes(rig, device.id), { qos: 1 });
    const body = example('thermometer', 'with-message-id.json');
    const good = await ingestMessage(rig, device, body);
    const swapped = Buffer.concat([good.subarray(0, good.indexOf(0x0a) + 1), Buffer.from(`${body} `)]);
    let answer = nextOutcome(client);
    await client.publishAsync(ingestTopic(rig, device.id), swapped, { qos: 1 });
    expect(await answer).toMatchObject({ status: 401, code: 'ERR_DEVICE_TOKEN_BODY_HASH', response: { resourceType: 'OperationOutcome' } });
    answer = nextOutcome(client);
    await client.publishAsync(ingestTopic(rig, device.id), Buffer.from(`not-a-token\n${body}`), { qos: 1 });
    expect(await answer).toMatchObject({ status: 401, code: 'ERR_DEVICE_TOKEN_MALFORMED' });
    answer = nextOutcome(client);
    await client.publishAsync(ingestTopic(rig, device.id), Buffer.from(JSON.stringify(JSON.parse(body))), { qos: 1 }); // no token, no \n
    expect(await answer).toMatchObject({ status: 400, code: 'ERR_MQTT_MESSAGE_MALFORMED' });
    await client.endAsync();
  });
});

describe('a store failure', () => {
  it('leaves the message unacknowledged (connection closed); the redelivery stores it once', async () => {
    const device = await rig.bridge.addDevice(nextId(), 'Patient/example');
    const client = await connectDevice(rig, device, { reconnectPeriod: 50, spare: 2 });
    const before = await rig.bridge.store.counts();
    rig.failCommits(1);
    const commitsBefore = rig.commits.length;
    let acked = false;
    const wentDown = closed(client);
    const published = client.publishAsync(ingestTopic(rig, device.id), await ingestMessage(rig, device, example('bp-cuff', 'with-seq.json')), { qos: 1 })
      .then(() => { acked = true; });
    await wentDown;
    expect(acked).toBe(false);
    expect((await rig.bridge.store.counts()).resources).toBe(before.resources);
    await published; // mqtt.js sends it again on the new connection; this PUBACK follows the second commit
    expect(rig.commits.slice(commitsBefore).map((c) => c.done)).toEqual([false, true]);
    const after = await rig.bridge.store.counts();
    expect({ resources: after.resources - before.resources, jti: after.jti - before.jti }).toEqual({ resources: 3, jti: 2 }); // the reconnect's CONNECT jti + the message's
    await client.endAsync();
  });
});

describe('metrics', () => {
  it('counts MQTT readings with the ingest metrics, and connections', async () => {
    const res = await rig.bridge.get('/metrics');
    expect(res.payload).toMatch(/^iomt_mqtt_connects_total\{outcome="accepted"\} [1-9]/m);
    expect(res.payload).toMatch(/^iomt_mqtt_messages_total\{outcome="ack"\} [1-9]/m);
    expect(res.payload).toMatch(/^iomt_mqtt_messages_total\{outcome="retry"\} 1$/m);
    expect(res.payload).toMatch(/^iomt_readings_accepted_total [1-9]/m);
    expect(res.payload).toMatch(/^iomt_mqtt_connections \d+$/m);
  });
});
