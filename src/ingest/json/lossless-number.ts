/**
 * Decides whether a JSON number literal can be held by a JS number without changing its value
 * (SECURITY-CASES 33: `1e400`, `9007199254740993` must never be silently rounded into a vital sign).
 *
 * Accepted: at most 15 significant digits (DBL_DIG: every such decimal survives a round trip through a
 * binary64 double) within the normal range, or an integer literal whose magnitude is at most
 * 2^53 − 1 (represented exactly). Refused: overflow to Infinity, underflow to 0 or to a subnormal,
 * and longer mantissas. Trailing zeros are not significant (`1.500000000000000000` is 1.5).
 * See: https://www.rfc-editor.org/rfc/rfc8259#section-6 and RFC 7493 §2.2.
 *
 * @returns `{ value }`, or the reason text when the literal is refused.
 */
export function checkLosslessNumber(literal: string): { value: number } | string {
  const value = Number(literal);
  // Fast path: without an exponent, 15 characters cannot hold more than 15 digits nor leave the range.
  if (literal.length <= 15 && !/[eE]/.test(literal)) return { value };
  if (!Number.isFinite(value)) return 'is out of the range of a JS number';
  const mantissa = literal.replace(/^-/, '').split(/[eE]/)[0] ?? '';
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  if (digits === '') return { value }; // zero, in any spelling
  if (value === 0 || Math.abs(value) < MIN_NORMAL) return 'is too small to be kept exactly';
  if (digits.length <= 15) return { value };
  const isIntegerLiteral = /^-?\d+$/.test(literal);
  if (isIntegerLiteral && Number.isSafeInteger(value)) return { value };
  return `has more significant digits than a JS number keeps exactly (${digits.length} > 15)`;
}

/** Smallest positive normal binary64 value; below it precision is lost. */
const MIN_NORMAL = 2.2250738585072014e-308;
