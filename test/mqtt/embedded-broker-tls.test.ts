import { connect } from 'node:net';
import { once } from 'node:events';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { connectAsync, type IClientOptions } from 'mqtt';
import type { IngestSummary } from '../../src/ingest';
import { readTlsCredentials } from '../../src/config';
import { auditSince, auditHead, example } from '../http/helpers';
import { createTlsFixture, type TlsFixture } from '../support/tls-fixture';
import { connectDevice, connectToken, ingestMessage, ingestTopic, nextOutcome, outcomes, startRig, type MqttRig } from './support/mqtt-rig';

/**
 * The embedded broker with IOMT_TLS_* (MQTT over TLS 1.3 only), over real loopback sockets with mqtt.js devices
 * trusting a throwaway self-signed certificate: readings arrive as over plain TCP; older TLS, plain MQTT and a
 * silent handshake are refused before any MQTT is read.
 */

let fx: TlsFixture;
let rig: MqttRig;

beforeAll(async () => {
  fx = createTlsFixture();
  rig = await startRig({ tls: readTlsCredentials({ certFile: fx.certFile, keyFile: fx.keyFile, handshakeTimeoutMs: 10_000 }).credentials, connectTimeoutMs: 500 });
});
afterAll(async () => {
  await rig.close();
  fx.cleanup();
});

it('listens mqtts:// on the bound port', () => {
  expect(rig.broker.url).toBe(`mqtts://127.0.0.1:${rig.broker.port}`);
});

it('a QoS 1 reading over TLS 1.3 is committed before its PUBACK, readable, and audited with its source address', async () => {
  const device = await rig.bridge.addDevice('tls-mq-1', 'Patient/example');
  const client = await connectDevice(rig, device, { ca: fx.ca });
  expect((client.stream as TLSSocket).getProtocol()).toBe('TLSv1.3');
  await client.subscribeAsync(outcomes(rig, device.id), { qos: 1 });
  const answer = nextOutcome(client);
  const head = await auditHead(rig.bridge.store);
  const commitsBefore = rig.commits.length;
  await client.publishAsync(ingestTopic(rig, device.id), await ingestMessage(rig, device, example('pulse-oximeter', 'with-message-id.json')), { qos: 1 });
  expect(rig.commits.slice(commitsBefore)).toEqual([expect.objectContaining({ done: true })]);
  const outcome = await answer;
  expect(outcome).toMatchObject({ status: 202 });
  const reference = (outcome.response as IngestSummary).results[0]!.resources!.find((r) => r.startsWith('Observation/'))!;
  expect(await rig.bridge.store.read('Observation', reference.slice('Observation/'.length))).toMatchObject({ resourceType: 'Observation' });
  expect(await auditSince(rig.bridge.store, head)).toEqual([expect.objectContaining({
    outcome: '0', agent: expect.arrayContaining([expect.objectContaining({ network: { address: '127.0.0.1', type: '2' } })]),
  })]);
  await client.endAsync();
});

it('refuses an mqtt.js device limited to TLS 1.2 at the handshake: no CONNECT is read, nothing audited', async () => {
  const device = await rig.bridge.addDevice('tls-mq-2', 'Patient/example');
  const head = await auditHead(rig.bridge.store);
  // mqtt.js hands every option to tls.connect; its types list only some of them (as in src/mqtt/external-subscriber.ts).
  const options: IClientOptions & Pick<ConnectionOptions, 'maxVersion'> = {
    protocolVersion: 4, clientId: device.id, username: device.id, password: await connectToken(rig, device), reconnectPeriod: 0, ca: fx.ca, maxVersion: 'TLSv1.2',
  };
  await expect(connectAsync(rig.broker.url, options, false)).rejects.toMatchObject({ message: expect.stringMatching(/protocol version|unsupported protocol/i) });
  await rig.broker.idle();
  expect(await auditSince(rig.bridge.store, head)).toEqual([]);
});

it('refuses plain MQTT on the TLS port (no fallback to clear text)', async () => {
  const device = await rig.bridge.addDevice('tls-mq-3', 'Patient/example');
  await expect(connectAsync(`mqtt://127.0.0.1:${rig.broker.port}`, {
    protocolVersion: 4, clientId: device.id, username: device.id, password: await connectToken(rig, device), reconnectPeriod: 0, connectTimeout: 2000,
  }, false)).rejects.toBeDefined();
});

it('closes a TCP connection that never starts its handshake, after the CONNECT timeout (SECURITY-CASES 42)', async () => {
  const socket = connect(rig.broker.port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  await once(socket, 'close');
});
