/**
 * A small, safe subset of JSONPath (RFC 9535): the root `$`, member names (`.name`, `['name']`, `["name"]`)
 * and array indexes (`[0]`, `[-1]` from the end). No filters, wildcards, recursion or script: a path selects
 * at most one node, is parsed once when a mapping is compiled, and is never evaluated with `eval`.
 * See: https://www.rfc-editor.org/rfc/rfc9535#section-2.5
 */

export type PathSegment = { kind: 'name'; name: string } | { kind: 'index'; index: number };

export interface JsonPath {
  /** The path as written in the mapping. */
  readonly text: string;
  readonly segments: readonly PathSegment[];
  /** The selected node, or `undefined` when any step is missing. Only own properties are followed. */
  get(root: unknown): unknown;
  /** FHIRPath-like rendering for issue expressions: `$.device.serial` → `device.serial`. */
  readonly location: string;
}

/** Thrown for a path that does not parse; `index` is the character offset of the problem. */
export class JsonPathSyntaxError extends Error {
  override readonly name = 'JsonPathSyntaxError';
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}

// RFC 9535 §2.5.1.1 member-name-shorthand: name-first *name-char (ALPHA / "_" / non-ASCII, then also DIGIT).
const SHORTHAND = /^[A-Za-z_\u0080-\uFFFF][A-Za-z0-9_\u0080-\uFFFF]*/;
const INDEX = /^\[(-?(?:0|[1-9][0-9]{0,8}))\]/;
const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '/': '/', '\\': '\\', "'": "'", '"': '"' };

/**
 * Parse a JSONPath of the supported subset.
 * @example compileJsonPath("$.device['serial-no']").get({ device: { 'serial-no': 'A1' } }) // 'A1'
 * @throws JsonPathSyntaxError when the text is not in the subset.
 */
export function compileJsonPath(text: string): JsonPath {
  if (!text.startsWith('$')) throw new JsonPathSyntaxError(`JSONPath must start with "$": ${JSON.stringify(text)}`, 0);
  const segments: PathSegment[] = [];
  let pos = 1;
  while (pos < text.length) {
    const [segment, next] = parseSegment(text, pos);
    segments.push(segment);
    pos = next;
  }
  const frozen = Object.freeze(segments);
  return Object.freeze({ text, segments: frozen, get: (root: unknown) => select(root, frozen), location: locationOf(frozen) });
}

function parseSegment(text: string, pos: number): [PathSegment, number] {
  const rest = text.slice(pos);
  if (rest.startsWith('.')) {
    const m = SHORTHAND.exec(rest.slice(1));
    if (!m) throw new JsonPathSyntaxError(`expected a member name after "." at character ${pos + 1} of ${JSON.stringify(text)}`, pos + 1);
    return [{ kind: 'name', name: m[0] }, pos + 1 + m[0].length];
  }
  const idx = INDEX.exec(rest);
  if (idx) return [{ kind: 'index', index: Number(idx[1]) }, pos + idx[0].length];
  if (rest.startsWith("['") || rest.startsWith('["')) return parseQuoted(text, pos);
  throw new JsonPathSyntaxError(
    `unsupported JSONPath syntax at character ${pos} of ${JSON.stringify(text)} (supported: $, .name, ['name'], [index])`,
    pos,
  );
}

function parseQuoted(text: string, pos: number): [PathSegment, number] {
  const quote = text[pos + 1] as string;
  let name = '';
  let i = pos + 2;
  while (i < text.length && text[i] !== quote) {
    const ch = text[i] as string;
    if (ch === '\\') {
      const esc = text[i + 1] ?? '';
      if (esc === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) {
        name += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      const decoded = ESCAPES[esc];
      if (decoded === undefined) throw new JsonPathSyntaxError(`invalid escape "\\${esc}" at character ${i} of ${JSON.stringify(text)}`, i);
      name += decoded;
      i += 2;
      continue;
    }
    name += ch;
    i += 1;
  }
  if (text[i] !== quote || text[i + 1] !== ']') {
    throw new JsonPathSyntaxError(`unterminated quoted member name at character ${pos} of ${JSON.stringify(text)}`, pos);
  }
  return [{ kind: 'name', name }, i + 2];
}

function select(root: unknown, segments: readonly PathSegment[]): unknown {
  let node: unknown = root;
  for (const seg of segments) {
    if (seg.kind === 'name') {
      // Own properties only: `__proto__`, `constructor` and friends never reach the prototype chain.
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
      if (!Object.prototype.hasOwnProperty.call(node, seg.name)) return undefined;
      node = (node as Record<string, unknown>)[seg.name];
    } else {
      if (!Array.isArray(node)) return undefined;
      const i = seg.index < 0 ? node.length + seg.index : seg.index;
      if (i < 0 || i >= node.length) return undefined;
      node = node[i];
    }
  }
  return node;
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;

function locationOf(segments: readonly PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (seg.kind === 'index') out += `[${seg.index}]`;
    else {
      // FHIRPath delimited identifiers use backticks. See: https://hl7.org/fhirpath/#identifiers
      const name = PLAIN.test(seg.name) ? seg.name : '`' + seg.name.replace(/[`\\]/g, (c) => '\\' + c) + '`';
      out += out === '' ? name : '.' + name;
    }
  }
  return out;
}

/** Join an item location (e.g. `item[2]`) and a path location (e.g. `spo2`, `[0].hr`). */
export function joinLocation(prefix: string | undefined, location: string): string {
  if (!prefix) return location === '' ? '$this' : location;
  if (location === '') return prefix;
  return location.startsWith('[') ? prefix + location : `${prefix}.${location}`;
}
