import { PacketSizeGuard } from '../../src/mqtt/packet-size-guard';

/** A packet of `remaining` body bytes with its fixed header (§2.2.3 variable byte integer). */
function packet(remaining: number): Buffer {
  const length: number[] = [];
  let x = remaining;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    length.push(byte);
  } while (x > 0);
  return Buffer.concat([Buffer.from([0x30, ...length]), Buffer.alloc(remaining, 0x61)]);
}

describe('PacketSizeGuard (SECURITY-CASES 40)', () => {
  it('passes packets up to the limit, however the stream is cut', () => {
    const stream = Buffer.concat([packet(0), packet(127), packet(128), packet(16_383), packet(16_384), packet(20_000 - 4)]);
    for (const cut of [1, 2, 3, 7, 1000, stream.length]) {
      const guard = new PacketSizeGuard(20_000);
      for (let i = 0; i < stream.length; i += cut) expect(guard.feed(stream.subarray(i, i + cut))).toBeUndefined();
    }
  });

  it('reports the first oversized packet from its header alone, and stays tripped', () => {
    const guard = new PacketSizeGuard(20_000);
    expect(guard.feed(packet(10))).toBeUndefined();
    const big = packet(20_000);
    expect(guard.feed(big.subarray(0, 4))).toBe(20_004); // 1 type byte + 3 length bytes + body
    expect(guard.feed(packet(1))).toBeNaN();
  });

  it('refuses a Remaining Length of five bytes (malformed)', () => {
    expect(new PacketSizeGuard(1e9).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBeNaN();
  });
});
