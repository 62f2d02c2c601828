/**
 * Follows the MQTT framing of a byte stream (pure) and reports the first packet whose size exceeds the limit —
 * as soon as its fixed header is read, before its body is buffered. The embedded broker's parser would otherwise
 * collect up to 256 MB for one packet (SECURITY-CASES 40).
 *
 * Fixed header: one byte of type and flags, then the Remaining Length as a Variable Byte Integer of 1–4 bytes
 * (7 bits each, least significant first, high bit = more). Packet size = header + remaining length.
 * See: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718023 (§2.2.3 Remaining Length)
 */
export class PacketSizeGuard {
  /** Bytes of the current packet's body still to skip. */
  private skip = 0;
  /** Reading the Remaining Length: value so far, its multiplier, and bytes of the header read. */
  private length = 0;
  private multiplier = 1;
  private headerBytes = 0;
  private tripped = false;

  constructor(private readonly maxPacketBytes: number) {}

  /**
   * Feeds the next chunk. Returns the size of the first oversized packet (or NaN for a malformed length), or
   * undefined while every packet fits. Once tripped it stays tripped: the connection is to be closed.
   */
  feed(chunk: Uint8Array): number | undefined {
    let i = 0;
    while (i < chunk.length && !this.tripped) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const verdict = this.header(chunk[i] as number);
      i += 1;
      if (verdict !== undefined) return verdict;
    }
    return this.tripped ? NaN : undefined;
  }

  private header(byte: number): number | undefined {
    this.headerBytes += 1;
    if (this.headerBytes === 1) return undefined; // type and flags
    this.length += (byte & 0x7f) * this.multiplier;
    this.multiplier *= 128;
    if ((byte & 0x80) !== 0) {
      if (this.headerBytes < 5) return undefined;
      this.tripped = true; // a fifth length byte: malformed (§2.2.3 allows four)
      return NaN;
    }
    const size = this.headerBytes + this.length;
    this.skip = this.length;
    this.length = 0;
    this.multiplier = 1;
    this.headerBytes = 0;
    if (size <= this.maxPacketBytes) return undefined;
    this.tripped = true;
    return size;
  }
}
