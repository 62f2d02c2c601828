import { FhirError, type IssueCode } from '../errors/fhir-error';
import { ingestMediaType } from './content-type';
import { findInvalidUtf8 } from './json/find-invalid-utf8';
import { JsonParseError, type JsonErrorKind } from './json/json-parse-error';
import { assertJsonLimits, parseStrictJson, parseStrictJsonItems, type JsonLimits, type JsonValue } from './json/parse-strict-json';

/** Stable code per parser refusal, so callers and tests switch on codes, not text. */
const CODE_BY_KIND: Readonly<Record<JsonErrorKind, string>> = {
  syntax: 'ERR_JSON_SYNTAX',
  'control-character': 'ERR_JSON_CONTROL_CHARACTER',
  'lone-surrogate': 'ERR_JSON_LONE_SURROGATE',
  'duplicate-key': 'ERR_JSON_DUPLICATE_KEY',
  'forbidden-key': 'ERR_JSON_FORBIDDEN_KEY',
  'too-deep': 'ERR_JSON_TOO_DEEP',
  'too-many-items': 'ERR_JSON_TOO_MANY_ITEMS',
  'lossy-number': 'ERR_JSON_NUMBER_PRECISION',
};

/**
 * Parses an ingest request body into its items: one JSON object, a JSON array of objects, or NDJSON
 * (one object per non-empty line). Each item is a null-prototype object tree from a strict parser
 * (see parse-strict-json.ts for what it refuses).
 *
 * Errors are FhirError: 415 `ERR_UNSUPPORTED_MEDIA_TYPE` for a missing/other media type or a charset
 * other than utf-8; otherwise 400 with `expression` naming where: `item[3].value` for JSON, and
 * `line 7` (then `item[6].value`) for NDJSON. The body-size limit (413) is the HTTP layer's.
 * See: https://github.com/ndjson/ndjson-spec and https://www.rfc-editor.org/rfc/rfc8259
 *
 * @example parseIngestBody(Buffer.from('{"hr": 72}'), 'application/json', { maxItems: 1000, maxDepth: 32 })
 */
export function parseIngestBody(raw: Buffer, contentType: string | undefined, limits: JsonLimits): unknown[] {
  const mediaType = ingestMediaType(contentType);
  assertJsonLimits(limits);
  const text = decodeUtf8(raw);
  return mediaType === 'application/json' ? parseJsonBody(text, limits) : parseNdjsonBody(text, limits);
}

function parseJsonBody(text: string, limits: JsonLimits): JsonValue[] {
  if (text.trim() === '') throw refuse('ERR_INGEST_EMPTY', 'invalid', 'The body is empty', 'item');
  let items: JsonValue[];
  try {
    items = parseStrictJsonItems(text, limits);
  } catch (e) {
    if (!(e instanceof JsonParseError)) throw e;
    throw refuse(CODE_BY_KIND[e.kind], issueCodeOf(e.kind), `${e.path}: ${e.message} (${lineColumn(text, e.offset)})`, e.path);
  }
  if (items.length === 0) throw refuse('ERR_INGEST_EMPTY', 'invalid', 'The array holds no items', 'item');
  items.forEach((item, i) => assertObject(item, `item[${i}]`));
  return items;
}

function parseNdjsonBody(text: string, limits: JsonLimits): JsonValue[] {
  const items: JsonValue[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n += 1) {
    const line = (lines[n] as string).replace(/\r$/, '');
    if (/^[ \t]*$/.test(line)) continue;
    const where = `line ${n + 1}`;
    const index = items.length;
    if (index >= limits.maxItems) {
      throw refuse('ERR_JSON_TOO_MANY_ITEMS', 'invalid', `${where}: more than ${limits.maxItems} items`, `item[${index}]`);
    }
    try {
      items.push(parseStrictJson(line, limits, ['item', index]));
    } catch (e) {
      if (!(e instanceof JsonParseError)) throw e;
      const text = `${where}, column ${e.offset + 1}, ${e.path}: ${e.message}`;
      // The expression stays a path into the payload; the line number is in the text.
      throw refuse(CODE_BY_KIND[e.kind], issueCodeOf(e.kind), text, e.path);
    }
    assertObject(items[index], `item[${index}]`, where);
  }
  if (items.length === 0) throw refuse('ERR_INGEST_EMPTY', 'invalid', 'The body holds no NDJSON lines', 'item');
  return items;
}

function assertObject(item: JsonValue | undefined, path: string, line?: string): void {
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) return;
  throw refuse('ERR_INGEST_ITEM_NOT_OBJECT', 'structure', `${line ? `${line}, ` : ''}${path}: each item must be a JSON object`, path);
}

/** Decodes after a strict UTF-8 check; a byte-order mark is refused (RFC 8259 §8.1: MUST NOT add one). */
function decodeUtf8(raw: Buffer): string {
  const bad = findInvalidUtf8(raw);
  if (bad >= 0) {
    const line = countLines(raw, bad);
    throw refuse('ERR_INVALID_UTF8', 'structure', `Invalid UTF-8 at byte ${bad} (line ${line})`, 'item');
  }
  if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) {
    throw refuse('ERR_JSON_BOM', 'structure', 'A byte-order mark is not accepted', 'item');
  }
  return raw.toString('utf8');
}

function countLines(raw: Buffer, end: number): number {
  let line = 1;
  for (let i = 0; i < end; i += 1) if (raw[i] === 0x0a) line += 1;
  return line;
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

const issueCodeOf = (kind: JsonErrorKind): IssueCode =>
  kind === 'syntax' || kind === 'control-character' || kind === 'lone-surrogate' ? 'structure' : 'invalid';

const refuse = (code: string, issue: IssueCode, text: string, expression: string | string[]): FhirError =>
  FhirError.of(code, { code: issue, text, expression }, { status: 400 });
