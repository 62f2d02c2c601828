/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, numbers and strings as
 * `JSON.stringify` writes them. For JSON data (what the audit log stores) this is the JSON Canonicalization
 * Scheme, so the same event always hashes to the same bytes whatever order its keys were built in.
 * See: https://www.rfc-editor.org/rfc/rfc8785 (JCS) §3.2.
 *
 * @example canonicalJson({ b: 1, a: [true, null] }) === '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  const text = encode(value);
  // A top-level `undefined` (or function) has no JSON form; refuse it rather than hash the word "undefined".
  if (text === undefined) throw new TypeError('canonicalJson: value has no JSON representation');
  return text;
}

function encode(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt has no JSON representation');
    case 'object':
      return encodeObject(value);
    default:
      return undefined; // undefined, function, symbol: skipped like JSON.stringify does
  }
}

function encodeObject(value: object): string | undefined {
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return encode(withJson.toJSON());
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => encode(item) ?? 'null').join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  // Object.keys + string building (never object spreading) so a parsed `__proto__` key is just data.
  for (const key of Object.keys(record).sort()) {
    const encoded = encode(record[key]);
    if (encoded !== undefined) members.push(`${JSON.stringify(key)}:${encoded}`);
  }
  return `{${members.join(',')}}`;
}
