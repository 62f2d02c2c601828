import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import * as mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';

/**
 * A hand-driven MQTT 3.1.1 connection, for what a well-behaved client library will not send: several packets in
 * one write, an empty client id, a CONNECT that never completes.
 */
export interface RawConnection {
  socket: Socket;
  /** Every packet the broker sent so far. */
  received: Packet[];
  send(...packets: Packet[]): void;
  /** Resolves with the next packet of this type not yet taken (already received ones count). */
  next(cmd: Packet['cmd']): Promise<Packet>;
  /** Resolves when the broker closes the connection. */
  closed: Promise<void>;
}

export async function rawConnect(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const received: Packet[] = [];
  const waiting: Array<{ cmd: string; resolve: (p: Packet) => void }> = [];
  const taken = new Set<Packet>();
  parser.on('packet', (packet: Packet) => {
    received.push(packet);
    const i = waiting.findIndex((w) => w.cmd === packet.cmd);
    if (i < 0) return;
    taken.add(packet);
    waiting.splice(i, 1)[0]!.resolve(packet);
  });
  socket.on('data', (chunk) => parser.parse(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket, received, closed,
    send(...packets) {
      socket.write(Buffer.concat(packets.map((p) => mqttPacket.generate(p))));
    },
    next(cmd) {
      const already = received.find((p) => p.cmd === cmd && !taken.has(p));
      if (already) {
        taken.add(already);
        return Promise.resolve(already);
      }
      return new Promise((resolve) => waiting.push({ cmd, resolve }));
    },
  };
}

export const connectPacket = (clientId: string, username?: string, password?: string, protocolVersion: 4 | 5 = 4): Packet => ({
  cmd: 'connect', protocolId: 'MQTT', protocolVersion, clean: true, keepalive: 30, clientId,
  ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password: Buffer.from(password) }),
});

export const publishPacket = (topic: string, payload: Buffer, messageId: number, extra: { dup?: boolean; retain?: boolean } = {}): Packet => ({
  cmd: 'publish', topic, payload, qos: 1, messageId, dup: extra.dup ?? false, retain: extra.retain ?? false,
});
