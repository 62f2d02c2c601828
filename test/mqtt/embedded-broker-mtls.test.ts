import { X509Certificate } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { readTlsCredentials } from '../../src/config';
import { certificateThumbprint, type IngestSummary } from '../../src/ingest';
import { auditHead, auditSince, example } from '../http/helpers';
import { createDeviceCaFixture, createTlsFixture, type DeviceCaFixture, type DeviceCertificate, type TlsFixture } from '../support/tls-fixture';
import { connectDevice, connectRefusal, connectToken, ingestMessage, ingestTopic, nextOutcome, outcomes, startRig, type MqttRig } from './support/mqtt-rig';

/**
 * The embedded broker over TLS with IOMT_TLS_CLIENT_CA_FILE, real loopback sockets and mqtt.js devices: a device
 * with a registered client certificate connects without a password (username = its id) and publishes bare bodies;
 * JWT devices keep working on the same port. CONNACK codes: MQTT 3.1.1 §3.2.2.3.
 */

let fx: TlsFixture;
let devices: DeviceCaFixture;
let rig: MqttRig;

beforeAll(async () => {
  fx = createTlsFixture();
  devices = createDeviceCaFixture();
  rig = await startRig({ tls: readTlsCredentials({ certFile: fx.certFile, keyFile: fx.keyFile, clientCaFile: devices.caFile, handshakeTimeoutMs: 10_000 }).credentials });
});
afterAll(async () => {
  await rig?.close();
  fx?.cleanup();
  devices?.cleanup();
});

const thumbprintOf = (cert: DeviceCertificate): string => certificateThumbprint(new X509Certificate(cert.cert).raw);

async function certDevice(id: string): Promise<DeviceCertificate> {
  const cert = devices.issue(id);
  await rig.bridge.store.addDevice({ id, certThumbprint: thumbprintOf(cert), patient: 'Patient/example' });
  return cert;
}

const withCert = (cert: DeviceCertificate) => ({ ca: fx.ca, cert: cert.cert, key: cert.key });

async function connectWithCert(id: string, cert: DeviceCertificate): Promise<MqttClient> {
  return connectAsync(rig.broker.url, { protocolVersion: 4, clientId: id, username: id, reconnectPeriod: 0, ...withCert(cert) }, false);
}

/** The single audit entry the step appended, with its code and device. */
async function audited<T>(step: () => Promise<T>): Promise<{ result: T; outcome?: string; desc?: string; who?: string }> {
  const head = await auditHead(rig.bridge.store);
  const result = await step();
  await rig.broker.idle();
  const events = await auditSince(rig.bridge.store, head);
  expect(events).toHaveLength(1);
  return { result, outcome: events[0]?.outcome, desc: events[0]?.outcomeDesc, who: events[0]?.agent[0]?.who?.identifier?.value };
}

describe('CONNECT with a client certificate', () => {
  it('no password, username = the registered device → connected; a bare-body QoS 1 reading is committed, answered 202 and readable', async () => {
    const cert = await certDevice('mq-cert-1');
    const { result: client, outcome, who } = await audited(() => connectWithCert('mq-cert-1', cert));
    expect({ outcome, who }).toEqual({ outcome: '0', who: 'mq-cert-1' });
    try {
      await client.subscribeAsync(outcomes(rig, 'mq-cert-1'), { qos: 1 });
      const answer = nextOutcome(client);
      await client.publishAsync(ingestTopic(rig, 'mq-cert-1'), Buffer.from(example('pulse-oximeter', 'with-message-id.json')), { qos: 1 });
      const message = await answer;
      expect(message).toMatchObject({ status: 202 });
      const reference = (message.response as IngestSummary).results[0]!.resources!.find((r) => r.startsWith('Observation/'))!;
      expect(await rig.bridge.store.read('Observation', reference.slice('Observation/'.length))).toMatchObject({ device: { reference: 'Device/mq-cert-1' } });
    } finally {
      await client.endAsync();
    }
  });

  it('every bare-body message re-reads the registry: revoked while connected → that message is answered 403', async () => {
    const cert = await certDevice('mq-cert-4');
    const client = await connectWithCert('mq-cert-4', cert);
    try {
      await client.subscribeAsync(outcomes(rig, 'mq-cert-4'), { qos: 1 });
      await rig.bridge.store.revokeDevice('mq-cert-4');
      const answer = nextOutcome(client);
      await client.publishAsync(ingestTopic(rig, 'mq-cert-4'), Buffer.from(example('pulse-oximeter', 'with-message-id.json')), { qos: 1 });
      expect(await answer).toMatchObject({ status: 403, code: 'ERR_DEVICE_REVOKED' });
    } finally {
      await client.endAsync();
    }
  });

  it('a username other than the certificate\'s device → 0x04 Bad user name or password, audited', async () => {
    const cert = await certDevice('mq-cert-2');
    await certDevice('mq-cert-2b');
    const refused = await audited(() => connectRefusal(rig, { clientId: 'mq-cert-2b', username: 'mq-cert-2b', ...withCert(cert) }));
    expect(refused).toMatchObject({ result: 4, outcome: '4', desc: expect.stringContaining('ERR_MQTT_USERNAME_MISMATCH'), who: 'mq-cert-2' });
  });

  it.each([
    ['a certificate of another CA', () => devices.issueByOtherCa('mq-other'), 4, 'ERR_DEVICE_CERT_UNTRUSTED'],
    ['an expired certificate of the device CA', () => devices.issue('mq-expired', -1), 4, 'ERR_DEVICE_CERT_UNTRUSTED'],
    ['a certificate of the device CA registered for no device', () => devices.issue('mq-nobody'), 4, 'ERR_DEVICE_CERT_UNKNOWN'],
  ])('%s, no password → 0x04 Bad user name or password, audited', async (_what, make, returnCode, code) => {
    const cert = make();
    const refused = await audited(() => connectRefusal(rig, { clientId: 'mq-x', username: 'mq-x', ...withCert(cert) }));
    expect(refused).toMatchObject({ result: returnCode, outcome: '4', desc: expect.stringContaining(code) });
  });

  it('a revoked device → 0x05 Not authorized, audited as the device', async () => {
    const cert = await certDevice('mq-revoked');
    await rig.bridge.store.revokeDevice('mq-revoked');
    const refused = await audited(() => connectRefusal(rig, { clientId: 'mq-revoked', username: 'mq-revoked', ...withCert(cert) }));
    expect(refused).toMatchObject({ result: 5, desc: expect.stringContaining('ERR_DEVICE_REVOKED'), who: 'mq-revoked' });
  });
});

describe('JWT devices on the same mqtts port', () => {
  it('connect with a password and publish <JWT>\\n<body> unchanged; without a certificate a bare body is still read as <JWT>\\n<body> (401)', async () => {
    const device = await rig.bridge.addDevice('mq-jwt-1', 'Patient/example');
    const client = await connectDevice(rig, device, { ca: fx.ca });
    try {
      await client.subscribeAsync(outcomes(rig, device.id), { qos: 1 });
      const accepted = nextOutcome(client);
      await client.publishAsync(ingestTopic(rig, device.id), await ingestMessage(rig, device, example('thermometer', 'with-message-id.json')), { qos: 1 });
      expect(await accepted).toMatchObject({ status: 202 });
      const refused = nextOutcome(client);
      await client.publishAsync(ingestTopic(rig, device.id), Buffer.from(example('thermometer', 'with-message-id.json')), { qos: 1 });
      expect(await refused).toMatchObject({ status: 401, code: 'ERR_DEVICE_TOKEN_MALFORMED' });
    } finally {
      await client.endAsync();
    }
  });

  it('a password (token) of one device over another device\'s certificate → 0x04', async () => {
    const device = await rig.bridge.addDevice('mq-jwt-2', 'Patient/example');
    const cert = await certDevice('mq-cert-3');
    const refused = await audited(async () => connectRefusal(rig, { clientId: device.id, username: device.id, password: await connectToken(rig, device), ...withCert(cert) }));
    expect(refused).toMatchObject({ result: 4, desc: expect.stringContaining('ERR_DEVICE_CERT_MISMATCH'), who: 'mq-jwt-2' });
  });
});
