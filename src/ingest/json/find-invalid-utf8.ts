/**
 * Strict UTF-8 well-formedness check that reports WHERE the first bad byte is, so a 400 can name the
 * line. `TextDecoder({ fatal: true })` refuses the same inputs but cannot say where.
 *
 * Refused (RFC 3629 §3–4): stray continuation bytes, truncated sequences, overlong encodings, encoded
 * UTF-16 surrogates (U+D800–U+DFFF) and code points above U+10FFFF.
 * See: https://www.rfc-editor.org/rfc/rfc3629#section-4
 *
 * @returns the byte offset of the first invalid sequence, or -1 when the buffer is well-formed.
 */
export function findInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    const len = sequenceLength(bytes, i);
    if (len === 0) return i;
    i += len;
  }
  return -1;
}

const cont = (b: number | undefined): boolean => b !== undefined && (b & 0xc0) === 0x80;

/** Length of the well-formed multi-byte sequence starting at `i`, or 0 when it is ill-formed. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] as number;
  const b1 = bytes[i + 1];
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(b1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (!cont(b1) || !cont(bytes[i + 2])) return 0;
    const second = b1 as number;
    if (b0 === 0xe0 && second < 0xa0) return 0; // overlong
    if (b0 === 0xed && second >= 0xa0) return 0; // UTF-16 surrogate half
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (!cont(b1) || !cont(bytes[i + 2]) || !cont(bytes[i + 3])) return 0;
    const second = b1 as number;
    if (b0 === 0xf0 && second < 0x90) return 0; // overlong
    if (b0 === 0xf4 && second >= 0x90) return 0; // above U+10FFFF
    return 4;
  }
  return 0; // 0x80–0xC1 (continuation / overlong lead) and 0xF5–0xFF never start a sequence
}
