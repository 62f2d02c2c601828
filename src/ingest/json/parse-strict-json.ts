import { JsonParseError, type JsonErrorKind } from './json-parse-error';
import { checkLosslessNumber } from './lossless-number';

/**
 * A small, strict RFC 8259 JSON parser, written for untrusted device payloads (SECURITY-CASES 21, 31–35).
 * Compared with `JSON.parse` it also refuses: duplicate keys, the keys `__proto__` / `constructor` /
 * `prototype`, nesting deeper than `maxDepth`, arrays longer than `maxItems`, numbers that a JS number
 * cannot hold exactly, lone UTF-16 surrogates in `\u` escapes and escaped NUL (PostgreSQL `jsonb` and
 * many C consumers cannot store U+0000). Objects are created with a null prototype.
 *
 * Recursion depth is bounded by `maxDepth` (checked before descending), so a 10,000-deep document fails
 * at depth `maxDepth + 1` without growing the stack. `maxDepth` is capped at {@link MAX_DEPTH_CAP}.
 * See: https://www.rfc-editor.org/rfc/rfc8259 and RFC 7493 (I-JSON) §2.3 (no duplicate names).
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface JsonLimits {
  /** Maximum elements in any one array (and, for the ingest body, items). */
  maxItems: number;
  /** Maximum nesting of objects/arrays; an item object is depth 1. */
  maxDepth: number;
}

/** Hard ceiling on `maxDepth` so that a configuration mistake can never allow a stack overflow. */
export const MAX_DEPTH_CAP = 1000;

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws a TypeError for limits that are not sane positive integers (a start-up configuration error). */
export function assertJsonLimits(limits: JsonLimits): void {
  const ok = (v: number, max: number): boolean => Number.isSafeInteger(v) && v >= 1 && v <= max;
  if (!ok(limits.maxDepth, MAX_DEPTH_CAP) || !ok(limits.maxItems, Number.MAX_SAFE_INTEGER)) {
    throw new TypeError(`Invalid JSON limits: maxDepth 1..${MAX_DEPTH_CAP} and maxItems >= 1 are required`);
  }
}

/**
 * Parses one complete JSON text (whitespace around it allowed, nothing else).
 * @param rootPath the path segments naming the root value in errors, e.g. `['item', 6]`.
 * @example parseStrictJson('{"value": 1}', { maxItems: 1000, maxDepth: 32 }, ['item', 0])
 */
export function parseStrictJson(text: string, limits: JsonLimits, rootPath: Array<string | number>): JsonValue {
  assertJsonLimits(limits);
  const parser = new StrictJsonParser(text, limits, rootPath);
  return parser.parseWhole();
}

/**
 * Parses a JSON text that is either one value or an array of values, returning the values; each is
 * named `item[i]` in errors and counted from depth 1 — the wrapping array is not an item.
 */
export function parseStrictJsonItems(text: string, limits: JsonLimits): JsonValue[] {
  assertJsonLimits(limits);
  const parser = new StrictJsonParser(text, limits, ['item']);
  return parser.parseItems();
}

class StrictJsonParser {
  private pos = 0;
  private readonly path: Array<string | number>;

  constructor(
    private readonly text: string,
    private readonly limits: JsonLimits,
    rootPath: Array<string | number>,
  ) {
    this.path = [...rootPath];
  }

  parseWhole(): JsonValue {
    this.skipWhitespace();
    const value = this.parseValue(1);
    this.expectEnd();
    return value;
  }

  parseItems(): JsonValue[] {
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) !== 0x5b /* [ */) {
      this.path.push(0);
      return [this.parseWhole()];
    }
    const items = this.parseArrayElements(0);
    this.expectEnd();
    return items;
  }

  private expectEnd(): void {
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail('syntax', `unexpected ${this.describe()} after the JSON value`);
  }

  private parseValue(depth: number): JsonValue {
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7b /* { */) return this.parseObject(depth);
    if (c === 0x5b /* [ */) return this.parseArray(depth);
    if (c === 0x22 /* " */) return this.parseString();
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    if (this.text.startsWith('true', this.pos)) return this.literal(4, true);
    if (this.text.startsWith('false', this.pos)) return this.literal(5, false);
    if (this.text.startsWith('null', this.pos)) return this.literal(4, null);
    return this.fail('syntax', `unexpected ${this.describe()}; expected a JSON value`);
  }

  private literal<T>(length: number, value: T): T {
    this.pos += length;
    return value;
  }

  private enter(depth: number): void {
    if (depth > this.limits.maxDepth) {
      this.fail('too-deep', `nesting deeper than the limit of ${this.limits.maxDepth}`);
    }
  }

  private parseObject(depth: number): JsonObject {
    this.enter(depth);
    this.pos += 1;
    const obj: JsonObject = Object.create(null) as JsonObject;
    this.skipWhitespace();
    if (this.consume(0x7d /* } */)) return obj;
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail('syntax', `unexpected ${this.describe()}; expected a property name`);
      const keyStart = this.pos;
      const key = this.parseString();
      this.path.push(key);
      if (FORBIDDEN_KEYS.has(key)) this.fail('forbidden-key', `property name "${key}" is not allowed`, keyStart);
      // Exact own-property test: the object has no prototype and no JSON value is `undefined`.
      if (obj[key] !== undefined) this.fail('duplicate-key', `duplicate property "${key}"`, keyStart);
      this.skipWhitespace();
      if (!this.consume(0x3a /* : */)) this.fail('syntax', `unexpected ${this.describe()}; expected ':'`);
      this.skipWhitespace();
      obj[key] = this.parseValue(depth + 1);
      this.path.pop();
      this.skipWhitespace();
      if (this.consume(0x7d)) return obj;
      if (!this.consume(0x2c /* , */)) this.fail('syntax', `unexpected ${this.describe()}; expected ',' or '}'`);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) === 0x7d) this.fail('syntax', 'trailing comma');
    }
  }

  private parseArray(depth: number): JsonValue[] {
    this.enter(depth);
    return this.parseArrayElements(depth);
  }

  /** Elements of an array at `depth` (0 for the wrapping array of an ingest body). */
  private parseArrayElements(depth: number): JsonValue[] {
    this.pos += 1;
    const out: JsonValue[] = [];
    this.skipWhitespace();
    if (this.consume(0x5d /* ] */)) return out;
    for (;;) {
      this.path.push(out.length);
      if (out.length >= this.limits.maxItems) {
        this.fail('too-many-items', `more than ${this.limits.maxItems} array elements`);
      }
      out.push(this.parseValue(depth + 1));
      this.path.pop();
      this.skipWhitespace();
      if (this.consume(0x5d)) return out;
      if (!this.consume(0x2c)) this.fail('syntax', `unexpected ${this.describe()}; expected ',' or ']'`);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) === 0x5d) {
        this.path.push(out.length);
        this.fail('syntax', 'trailing comma');
      }
    }
  }

  private parseString(): string {
    const start = this.pos;
    const text = this.text;
    let out = '';
    let chunk = start + 1;
    let i = chunk;
    for (;;) {
      // Tight scan over plain characters with a local index; escapes and errors leave the loop.
      let c = text.charCodeAt(i);
      while (c !== 0x22 && c !== 0x5c && c >= 0x20) c = text.charCodeAt(++i);
      if (c === 0x22) break;
      this.pos = i;
      if (Number.isNaN(c)) this.fail('syntax', 'unterminated string', start);
      if (c < 0x20) this.fail('control-character', `unescaped control character U+${hex4(c)} in a string`);
      out += text.slice(chunk, i) + this.parseEscape();
      chunk = i = this.pos;
    }
    this.pos = i + 1;
    return chunk === start + 1 ? text.slice(chunk, i) : out + text.slice(chunk, i);
  }

  /** Parses one escape at `pos` (the backslash); `\u` surrogates must come as a valid pair. */
  private parseEscape(): string {
    const ch = this.text.charAt(this.pos + 1);
    const simple = ESCAPES[ch];
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    if (ch !== 'u') this.fail('syntax', 'invalid escape sequence');
    const unit = this.readHex4(this.pos + 2);
    this.pos += 6;
    if (unit === 0) this.fail('control-character', 'escaped NUL (\\u0000) is not accepted', this.pos - 6);
    if (unit >= 0xdc00 && unit <= 0xdfff) this.fail('lone-surrogate', 'lone surrogate in \\u escape', this.pos - 6);
    if (unit < 0xd800 || unit > 0xdbff) return String.fromCharCode(unit);
    const low = this.text.startsWith('\\u', this.pos) ? this.readHex4(this.pos + 2) : -1;
    if (low < 0xdc00 || low > 0xdfff) this.fail('lone-surrogate', 'lone surrogate in \\u escape', this.pos - 6);
    this.pos += 6;
    return String.fromCharCode(unit, low);
  }

  private readHex4(at: number): number {
    const digits = this.text.slice(at, at + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(digits)) this.fail('syntax', 'invalid \\u escape', at);
    return parseInt(digits, 16);
  }

  /** RFC 8259 §6 grammar, scanned by hand; small plain integers are computed without a string. */
  private parseNumber(): number {
    const text = this.text;
    const start = this.pos;
    let i = text.charCodeAt(start) === 0x2d ? start + 1 : start;
    const intStart = i;
    i = text.charCodeAt(i) === 0x30 ? i + 1 : this.skipDigits(i);
    if (i === intStart) this.fail('syntax', 'invalid number');
    let plainInteger = true;
    if (text.charCodeAt(i) === 0x2e) {
      plainInteger = false;
      i = this.requireDigits(i + 1);
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      plainInteger = false;
      const sign = text.charCodeAt(i + 1);
      i = this.requireDigits(sign === 0x2b || sign === 0x2d ? i + 2 : i + 1);
    }
    this.pos = i;
    const next = text.charCodeAt(i);
    if (next === 0x2e || isWordChar(next)) this.fail('syntax', 'invalid number'); // `01`, `1.2.3`, `0x1F`
    if (plainInteger && i - intStart <= 15) return smallInteger(text, intStart, i, intStart !== start);
    const literal = text.slice(start, i);
    const checked = checkLosslessNumber(literal);
    if (typeof checked === 'string') this.fail('lossy-number', `number ${literal} ${checked}`, start);
    return checked.value;
  }

  private skipDigits(from: number): number {
    let i = from;
    let c = this.text.charCodeAt(i);
    while (c >= 0x30 && c <= 0x39) c = this.text.charCodeAt(++i);
    return i;
  }

  private requireDigits(from: number): number {
    const end = this.skipDigits(from);
    if (end === from) {
      this.pos = from;
      this.fail('syntax', 'invalid number');
    }
    return end;
  }

  private consume(code: number): boolean {
    if (this.text.charCodeAt(this.pos) !== code) return false;
    this.pos += 1;
    return true;
  }

  /** RFC 8259 §2: only space, tab, LF and CR are insignificant whitespace. */
  private skipWhitespace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos += 1;
    }
  }

  private describe(): string {
    if (this.pos >= this.text.length) return 'end of input';
    const c = this.text.charCodeAt(this.pos);
    if (c < 0x20 || c === 0x7f || c === 0xfeff) return `character U+${hex4(c)}`;
    return `'${this.text.charAt(this.pos)}'`;
  }

  private fail(kind: JsonErrorKind, message: string, at: number = this.pos): never {
    throw new JsonParseError(kind, message, formatPath(this.path), at);
  }
}

/** Value of at most 15 decimal digits: below 2^53, so the arithmetic is exact. */
function smallInteger(text: string, from: number, to: number, negative: boolean): number {
  let value = 0;
  for (let i = from; i < to; i += 1) value = value * 10 + (text.charCodeAt(i) - 0x30);
  return negative ? -value : value;
}

const isWordChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;

const hex4 = (c: number): string => c.toString(16).toUpperCase().padStart(4, '0');

/** `['item', 3, 'value']` → `item[3].value`; non-identifier keys are back-ticked as FHIRPath does. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const name = IDENTIFIER.test(seg) ? seg : `\`${seg.replace(/[`\\]/g, (m) => `\\${m}`)}\``;
      out += out === '' ? name : `.${name}`;
    }
  }
  return out;
}
