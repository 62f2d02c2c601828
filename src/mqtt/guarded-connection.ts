import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { PacketSizeGuard } from './packet-size-guard';

/**
 * The socket as the embedded broker sees it, with every incoming byte first counted by a {@link PacketSizeGuard}:
 * a packet announcing more than `maxPacketBytes` closes the connection before its body is buffered
 * (MQTT 3.1.1 has no reason code for it; MQTT 5 would send DISCONNECT 0x95, §3.14.2.1), once `onTooLarge` has
 * recorded it. Back-pressure is kept:
 * the socket pauses while the broker is not reading.
 */
export function guardedConnection(socket: Socket, maxPacketBytes: number, onTooLarge: (size: number) => Promise<void>): Duplex {
  const guard = new PacketSizeGuard(maxPacketBytes);
  const connection = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    const tooLarge = guard.feed(chunk);
    if (tooLarge !== undefined) {
      socket.pause(); // nothing more is read; the connection closes once the refusal is recorded
      void onTooLarge(tooLarge).finally(() => connection.destroy());
      return;
    }
    if (!connection.push(chunk)) socket.pause();
  });
  socket.on('end', () => connection.push(null));
  socket.on('error', (error) => connection.destroy(error));
  socket.on('close', () => connection.destroy());
  return connection;
}
