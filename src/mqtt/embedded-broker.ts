import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesOptions, type AedesPublishPacket, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { TlsCredentials } from '../config';
import { appendRefusalAudit, auditIngestRefusal, presentedCertificate, type PresentedCertificate } from '../ingest';
import { CONNACK, checkPublish, mayForward, maySubscribe } from './acl';
import { authenticateConnect } from './authenticate-connect';
import { guardedConnection } from './guarded-connection';
import { handleIngestMessage } from './handle-ingest-message';
import { mqttAudience, type MqttDeps } from './mqtt-deps';

export interface EmbeddedBrokerOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** IOMT_TLS_*: MQTT over TLS (1.3 only) with the HTTP server's certificate; plain TCP without. */
  tls?: TlsCredentials;
}

export interface RunningBroker {
  /** `mqtt://host:port` (`mqtts://` over TLS), with the port actually bound. */
  url: string;
  port: number;
  /** Resolves once every message taken up so far has been committed (or refused) and answered, and refused connections audited. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** What the broker knows of a connection beyond aedes' Client. */
interface Session {
  sourceAddress?: string;
  /** The mTLS client certificate of the connection (read once the handshake is done), if one was presented. */
  certificate?: PresentedCertificate;
  /** From the CONNECT packet, kept by preConnect (aedes replaces an empty client id before authenticate runs). */
  connect?: { clientId: string; username?: string; password?: Buffer; hasWill: boolean };
  /** Set once authenticated. */
  deviceId?: string;
  /** Closes a connection whose CONNECT has not arrived in time (SECURITY-CASES 42), once that is audited. */
  connectTimer?: NodeJS.Timeout;
  /** Serialises the device's messages: commits and PUBACKs in the order the PUBLISHes came (§4.6, [MQTT-4.6.0-2]). */
  chain: Promise<void>;
  inflight: number;
  /** The connection is gone: messages still queued behind the current one are left for the redelivery. */
  closed?: boolean;
}

/**
 * The embedded MQTT 3.1.1 broker (aedes) on its own TCP listener, loopback by default. Devices authenticate per
 * connection (client id = username = device id, password = a device-signed JWT) and per message (the ingest JWT
 * in the payload). A QoS 1 PUBLISH is processed inside the publish authorisation hook, which aedes completes
 * before it writes the PUBACK: the PUBACK therefore follows the commit (DESIGN: "only then acknowledge"). A store
 * failure closes the connection unacknowledged, so the device sends the message again.
 * See: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718100 (§4.3.2 QoS 1)
 */
export async function startEmbeddedBroker(deps: MqttDeps, options: EmbeddedBrokerOptions): Promise<RunningBroker> {
  const sessions = new WeakMap<Client, Session>();
  // Messages being committed: closing waits for them, so the store is never closed under a commit.
  const inFlight = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  const sessionOf = (client: Client): Session => {
    let s = sessions.get(client);
    if (s === undefined) sessions.set(client, (s = { chain: Promise.resolve(), inflight: 0 }));
    return s;
  };
  const reply = (message: { topic: string; payload: Buffer }) =>
    broker.publish({ cmd: 'publish', topic: message.topic, payload: message.payload, qos: 1, retain: false, dup: false }, () => undefined);
  const broker: Aedes = await Aedes.createBroker({
    // Our own timer (below) audits first, then closes; aedes' is a backstop.
    connectTimeout: deps.mqtt.connectTimeoutMs * 2,
    // Packets a client may send before its CONNACK (aedes' default), taken up together once it is accepted.
    queueLimit: 42,
    ...hooks(deps, sessionOf, track, reply),
  });
  // A connection refused before its CONNECT was read (garbage, MQTT 5's protocol level) is audited too.
  broker.on('connectionError', (client, error) => {
    track(auditQuietly(deps, sessionOf(client), 'ERR_MQTT_CONNECTION', error.message.slice(0, 200)));
  });
  const onSocket = (socket: Socket) => {
    const { connection, session } = accept(deps, socket);
    sessions.set(broker.handle(connection), session);
  };
  const server = options.tls ? tlsListener(deps, options.tls, onSocket) : createServer(onSocket);
  deps.metrics.mqtt.connections = () => broker.connectedClients;
  server.listen(options.port, options.host);
  try {
    await once(server, 'listening');
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve())); // e.g. EADDRINUSE: nothing left running
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const idle = async () => { await Promise.allSettled([...inFlight]); };
  const scheme = options.tls ? 'mqtts' : 'mqtt';
  return { url: `${scheme}://${urlHost(options.host)}:${port}`, port, idle, close: () => closeAll(server, broker, idle) };
}

/**
 * MQTT over TLS (the `secure-mqtt` port of MQTT 3.1.1 §5.1, TLS 1.3 only). The broker sees a connection only once
 * its handshake is done; the handshake gets the CONNECT timeout too (SECURITY-CASES 42), and a refused one (an
 * older TLS version, no TLS at all) is logged, not audited: no MQTT was spoken, and no device is known.
 */
function tlsListener(deps: MqttDeps, tls: TlsCredentials, onSocket: (socket: Socket) => void): Server {
  const server = createTlsServer({ ...tls, handshakeTimeout: deps.mqtt.connectTimeoutMs }, onSocket);
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket) => {
    deps.logger.warn({ address: socket.remoteAddress, code: error.code, reason: error.message.slice(0, 200) }, 'mqtt tls handshake refused');
    socket.destroy(); // node:tls reports a handshake timeout here but leaves the socket open
  });
  return server;
}

type SessionOf = (client: Client) => Session;

/** The aedes hooks: authentication, the ACLs (src/mqtt/acl.ts), and the ingest work inside publish authorisation. */
function hooks(deps: MqttDeps, sessionOf: SessionOf, track: (work: Promise<void>) => void, reply: (message: { topic: string; payload: Buffer }) => void): AedesOptions {
  return {
    preConnect(client, packet, callback) {
      const session = sessionOf(client);
      clearTimeout(session.connectTimer);
      session.connect = { clientId: packet.clientId, username: packet.username, password: packet.password, hasWill: packet.will !== undefined && packet.will !== null };
      callback(null, true);
    },
    authenticate(client, _username, _password, done) {
      void authenticate(deps, sessionOf(client))
        .catch((error: unknown) => Object.assign(error as Error, { returnCode: CONNACK.SERVER_UNAVAILABLE }) as AuthenticateError)
        .then((error) => done(error, error === null));
    },
    authorizePublish(client, packet, callback) {
      if (client === null) return callback(null); // the broker's own (replies); wills are refused at CONNECT
      authorizePublish(deps, sessionOf(client), packet, track, (error, answer) => {
        callback(error);
        if (answer !== undefined) reply(answer);
      });
    },
    authorizeSubscribe(client, subscription, callback) {
      const deviceId = sessionOf(client).deviceId ?? '';
      if (maySubscribe(deps.mqtt.topicPrefix, deviceId, subscription.topic)) return callback(null, { ...subscription, qos: Math.min(subscription.qos, 1) as Subscription['qos'] });
      void auditQuietly(deps, sessionOf(client), 'ERR_MQTT_SUBSCRIBE_FORBIDDEN', `SUBSCRIBE '${subscription.topic.slice(0, 200)}' refused (SUBACK 0x80)`)
        .then(() => callback(null, null));
    },
    authorizeForward(client, packet: AedesPublishPacket) {
      return mayForward(deps.mqtt.topicPrefix, sessionOf(client).deviceId ?? '', packet.topic) ? packet : null;
    },
  };
}

/** The CONNECT verdict as aedes wants it: null, or an error carrying the CONNACK return code. */
async function authenticate(deps: MqttDeps, session: Session): Promise<AuthenticateError | null> {
  const connect = session.connect ?? { clientId: '', hasWill: false };
  session.connect = undefined; // the password is not kept
  const verdict = await authenticateConnect({
    store: deps.store, now: deps.now, audience: mqttAudience(deps.settings.publicUrl),
    clockToleranceSeconds: deps.settings.clockToleranceSeconds, maxLifetimeSeconds: deps.settings.deviceTokenMaxLifetimeSeconds,
  }, { ...connect, hasPassword: connect.password !== undefined, certificate: session.certificate, requestId: randomUUID(), sourceAddress: session.sourceAddress });
  deps.metrics.mqttConnects.inc({ outcome: verdict.ok ? 'accepted' : 'refused' });
  if (verdict.ok) {
    session.deviceId = verdict.deviceId;
    return null;
  }
  deps.logger.warn({ clientId: connect.clientId.slice(0, 64), code: verdict.code, returnCode: verdict.returnCode, address: session.sourceAddress }, 'mqtt connect refused');
  return Object.assign(new Error(verdict.text), { returnCode: verdict.returnCode }) as AuthenticateError;
}

/**
 * A new TCP connection: its session, the packet-size guard in front of the broker's parser, and the CONNECT timer
 * (SECURITY-CASES 40, 42).
 */
function accept(deps: MqttDeps, socket: Socket): { connection: Duplex; session: Session } {
  socket.setNoDelay(true);
  const session: Session = { chain: Promise.resolve(), inflight: 0, sourceAddress: socket.remoteAddress, certificate: presentedCertificate(socket) };
  const connection = guardedConnection(socket, deps.mqtt.maxPacketBytes, (size) =>
    auditQuietly(deps, session, 'ERR_MQTT_PACKET_TOO_LARGE', `Packet of ${Number.isNaN(size) ? 'malformed' : size} bytes; the limit is ${deps.mqtt.maxPacketBytes}`));
  session.connectTimer = setTimeout(() => {
    void auditQuietly(deps, session, 'ERR_MQTT_CONNECT_TIMEOUT', `No CONNECT within ${deps.mqtt.connectTimeoutMs} ms`).finally(() => connection.destroy());
  }, deps.mqtt.connectTimeoutMs);
  socket.once('close', () => {
    clearTimeout(session.connectTimer);
    session.closed = true;
  });
  return { connection, session };
}

type PublishDone = (error: Error | null, reply?: { topic: string; payload: Buffer }) => void;

/** ACL, in-flight limit, then the ingest work — queued behind the device's earlier messages. */
function authorizePublish(deps: MqttDeps, session: Session, packet: PublishPacket, track: (work: Promise<void>) => void, done: PublishDone): void {
  const deviceId = session.deviceId ?? '';
  const refusal = checkPublish(deps.mqtt.topicPrefix, deviceId, { topic: packet.topic, retain: packet.retain });
  if (refusal !== undefined || session.inflight >= deps.mqtt.maxInflight) {
    // MQTT 3.1.1 cannot refuse one PUBLISH: [MQTT-3.3.5-2] the server acknowledges it or closes the connection.
    const code = refusal?.code ?? 'ERR_MQTT_INFLIGHT_EXCEEDED';
    const text = refusal?.text ?? `More than ${deps.mqtt.maxInflight} unacknowledged messages`;
    deps.metrics.mqttMessages.inc({ outcome: 'refused' });
    void auditQuietly(deps, session, code, text, true).then(() => done(new Error(text)));
    return;
  }
  session.inflight += 1;
  const message = { topic: packet.topic, payload: Buffer.from(packet.payload as Buffer), messageId: packet.messageId, sourceAddress: session.sourceAddress, certificate: session.certificate };
  session.chain = session.chain.then(async () => {
    if (session.closed) {
      // No PUBACK could reach the device now: not processed, so its redelivery is the one that counts.
      session.inflight -= 1;
      return done(new Error('connection closed'));
    }
    const verdict = await handleIngestMessage({ ...deps, topicPrefix: deps.mqtt.topicPrefix }, message)
      .catch((error: unknown) => ({ action: 'retry' as const, error }));
    session.inflight -= 1;
    deps.metrics.mqttMessages.inc({ outcome: verdict.action });
    if (verdict.action === 'ack') return done(null, verdict.reply);
    deps.logger.error({ err: verdict.error, deviceId, topic: packet.topic, messageId: packet.messageId }, 'mqtt message not stored; left unacknowledged for redelivery');
    done(new Error('not stored'));
  });
  track(session.chain);
}

/**
 * Audits a refused packet or connection. A refused PUBLISH is a refused ingest request (counted as such); a
 * refused SUBSCRIBE or connection is not.
 */
async function auditQuietly(deps: MqttDeps, session: Session, code: string, description: string, publish = false): Promise<void> {
  const refusal = { deviceId: session.deviceId, code, status: 403, requestId: randomUUID(), sourceAddress: session.sourceAddress, description };
  try {
    if (publish) await auditIngestRefusal(deps, refusal);
    else await appendRefusalAudit(deps, refusal);
  } catch (err) {
    deps.logger.error({ err, code }, 'audit entry for a refused mqtt packet could not be written');
  }
}

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

async function closeAll(server: Server, broker: Aedes, idle: () => Promise<void>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await idle();
  await closed;
}
