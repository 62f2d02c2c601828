import { JsonPathQuerySyntaxError, type CompareOp, type FilterExpr, type Operand, type QueryStep } from './json-path-ast';

/**
 * Parser for full JSONPath queries in Newtonsoft.Json's dialect:
 * - `$` root (optional: `deviceId` means `$.deviceId`; `@.x` starts from the current node), `.name`, `..name` (scan), `.*`, `..*`;
 * - unquoted names run to the next `.`, `[`, `(`, `]`, `)` or space, so `$.a.iothub-connection-device-id` works;
 * - `['a']`, `['a','b']`, `["a"]`, `[0]`, `[-1]`, `[0,2]`, `[*]`, `[1:3]`, `[::2]`;
 * - filters `[?(...)]` with `@`/`$` paths, `@name` (no dot, as Newtonsoft reads it), `== != === !== < <= > >= =~`,
 *   `&&`, `||`, parentheses, and literals `'s'`, `"s"`, numbers, `true`, `false`, `null`, `/regex/flags`.
 *   `&&` binds tighter than `||` (the usual precedence).
 * A filter after `..` tests every descendant and the node itself (Newtonsoft's QueryScanFilter).
 * See: https://www.newtonsoft.com/json/help/html/QueryJsonSelectTokenJsonPath.htm
 */
export function parseJsonPathQuery(text: string): QueryStep[] {
  const p = new Parser(text);
  const steps = p.query();
  if (p.pos < text.length) p.fail(`unexpected character "${text[p.pos]}"`);
  return steps;
}

const NAME_END = new Set(['.', '[', '(', ']', ')', ' ']);
const FILTER_NAME_END = new Set([...NAME_END, '=', '<', '!', '>', '|', '&']);
const OPS: readonly CompareOp[] = ['===', '!==', '==', '!=', '<=', '>=', '=~', '<', '>'];
const MAX_REGEX = 200;

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(reason: string, at = this.pos): never {
    throw new JsonPathQuerySyntaxError(`${reason} at character ${at} of ${JSON.stringify(this.text)}`, at);
  }

  private peek(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  private skipSpaces(): void {
    while (this.text[this.pos] === ' ') this.pos += 1;
  }

  query(): QueryStep[] {
    this.skipSpaces();
    const steps: QueryStep[] = [];
    if (this.text[this.pos] === '$' && (this.pos + 1 >= this.text.length || '.['.includes(this.text[this.pos + 1] as string))) {
      steps.push({ kind: 'root' });
      this.pos += 1;
    } else if (this.text[this.pos] === '@' && (this.pos + 1 >= this.text.length || '.['.includes(this.text[this.pos + 1] as string))) {
      this.pos += 1; // `@`: the current node (a reading inside `each`); what a bare relative path means too
    } else if (this.pos < this.text.length && !'.['.includes(this.text[this.pos] as string)) {
      steps.push(this.field(false, NAME_END));
    }
    steps.push(...this.steps(NAME_END));
    this.skipSpaces();
    return steps;
  }

  /** Steps after a root or `@`, until something that cannot continue a path. */
  steps(ends: ReadonlySet<string>): QueryStep[] {
    const steps: QueryStep[] = [];
    for (;;) {
      if (this.peek('..')) {
        this.pos += 2;
        steps.push(this.text[this.pos] === '[' ? this.bracket(true) : this.field(true, ends));
      } else if (this.peek('.')) {
        this.pos += 1;
        steps.push(this.field(false, ends));
      } else if (this.peek('[')) {
        steps.push(this.bracket(false));
      } else {
        return steps;
      }
    }
  }

  private field(scan: boolean, ends: ReadonlySet<string>): QueryStep {
    const start = this.pos;
    while (this.pos < this.text.length && !ends.has(this.text[this.pos] as string)) this.pos += 1;
    const name = this.text.slice(start, this.pos);
    if (name === '') this.fail('expected a member name', start);
    return { kind: 'field', name: name === '*' ? null : name, scan };
  }

  private bracket(scan: boolean): QueryStep {
    this.pos += 1; // [
    this.skipSpaces();
    const ch = this.text[this.pos];
    let step: QueryStep;
    if (ch === "'" || ch === '"') step = this.quotedNames();
    else if (ch === '?') step = this.filter(scan);
    else if (ch === '*') {
      this.pos += 1;
      step = { kind: 'all' };
    } else step = this.indexes();
    this.skipSpaces();
    if (this.text[this.pos] !== ']') this.fail('expected "]"');
    this.pos += 1;
    return step;
  }

  private quotedNames(): QueryStep {
    const names = [this.string()];
    for (this.skipSpaces(); this.text[this.pos] === ','; this.skipSpaces()) {
      this.pos += 1;
      this.skipSpaces();
      names.push(this.string());
    }
    return names.length === 1 ? { kind: 'field', name: names[0] as string, scan: false } : { kind: 'fields', names };
  }

  /** A quoted string; `\'`, `\"`, `\\`, `\/`, `\b\f\n\r\t` and `\uXXXX` escapes. */
  string(): string {
    const quote = this.text[this.pos];
    if (quote !== "'" && quote !== '"') this.fail('expected a quoted string');
    let out = '';
    for (this.pos += 1; this.pos < this.text.length; this.pos += 1) {
      const c = this.text[this.pos] as string;
      if (c === quote) {
        this.pos += 1;
        return out;
      }
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.pos + 1] ?? '';
      if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) {
        out += String.fromCharCode(parseInt(this.text.slice(this.pos + 2, this.pos + 6), 16));
        this.pos += 5;
        continue;
      }
      const simple: Record<string, string> = { "'": "'", '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (simple[e] === undefined) this.fail(`unknown escape "\\${e}"`);
      out += simple[e];
      this.pos += 1;
    }
    return this.fail('unterminated string');
  }

  private integer(): number | undefined {
    const m = /^-?\d{1,9}/.exec(this.text.slice(this.pos));
    if (!m) return undefined;
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private indexes(): QueryStep {
    const first = this.integer();
    this.skipSpaces();
    if (this.text[this.pos] === ':') return this.slice(first);
    if (first === undefined) this.fail('expected an index, a quoted name, "*", a slice or "?("');
    const indexes = [first];
    for (; this.text[this.pos] === ','; this.skipSpaces()) {
      this.pos += 1;
      this.skipSpaces();
      const next = this.integer();
      if (next === undefined) this.fail('expected an index');
      indexes.push(next);
    }
    return { kind: 'index', indexes };
  }

  private slice(start: number | undefined): QueryStep {
    this.pos += 1; // first ':'
    this.skipSpaces();
    const end = this.integer();
    this.skipSpaces();
    let step: number | undefined;
    if (this.text[this.pos] === ':') {
      this.pos += 1;
      this.skipSpaces();
      step = this.integer();
      if (step === 0) this.fail('slice step cannot be 0');
    }
    return { kind: 'slice', start, end, step };
  }

  private filter(scan: boolean): QueryStep {
    this.pos += 1; // ?
    if (this.text[this.pos] !== '(') this.fail('expected "(" after "?"');
    this.pos += 1;
    const test = this.or();
    this.skipSpaces();
    if (this.text[this.pos] !== ')') this.fail('expected ")" closing the filter');
    this.pos += 1;
    return { kind: 'filter', test, scan };
  }

  private or(): FilterExpr {
    const parts = [this.and()];
    for (this.skipSpaces(); this.peek('||'); this.skipSpaces()) {
      this.pos += 2;
      parts.push(this.and());
    }
    return parts.length === 1 ? (parts[0] as FilterExpr) : { kind: 'or', parts };
  }

  private and(): FilterExpr {
    const parts = [this.unary()];
    for (this.skipSpaces(); this.peek('&&'); this.skipSpaces()) {
      this.pos += 2;
      parts.push(this.unary());
    }
    return parts.length === 1 ? (parts[0] as FilterExpr) : { kind: 'and', parts };
  }

  private unary(): FilterExpr {
    this.skipSpaces();
    if (this.text[this.pos] === '(') {
      this.pos += 1;
      const inner = this.or();
      this.skipSpaces();
      if (this.text[this.pos] !== ')') this.fail('expected ")"');
      this.pos += 1;
      return inner;
    }
    const left = this.operand();
    this.skipSpaces();
    const op = OPS.find((o) => this.peek(o));
    if (!op) {
      if (left.kind !== 'path') this.fail('a filter needs a comparison or an @/$ path');
      return { kind: 'exists', path: left };
    }
    this.pos += op.length;
    this.skipSpaces();
    const right = this.operand();
    if (op === '=~' && right.kind !== 'regex') this.fail('"=~" needs a /regex/ on its right');
    return { kind: 'compare', op, left, right };
  }

  private operand(): Operand {
    const c = this.text[this.pos];
    if (c === '@' || c === '$') {
      this.pos += 1;
      const steps: QueryStep[] = [];
      const next = this.text[this.pos];
      // Newtonsoft reads `@name` like `@.name`.
      if (next !== undefined && !FILTER_NAME_END.has(next) && next !== ',') steps.push(this.field(false, FILTER_NAME_END));
      steps.push(...this.steps(FILTER_NAME_END));
      return { kind: 'path', from: c, steps };
    }
    if (c === "'" || c === '"') return { kind: 'value', value: this.string() };
    if (c === '/') return this.regex();
    const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(this.text.slice(this.pos));
    if (!m) return this.fail('expected a value, a quoted string, a /regex/ or an @/$ path');
    this.pos += m[0].length;
    const value = m[0] === 'true' ? true : m[0] === 'false' ? false : m[0] === 'null' ? null : Number(m[0]);
    return { kind: 'value', value };
  }

  private regex(): Operand {
    const start = this.pos;
    let close = start + 1;
    while (close < this.text.length && this.text[close] !== '/') close += this.text[close] === '\\' ? 2 : 1;
    if (close >= this.text.length) close = -1;
    if (close < 0 || close - start > MAX_REGEX) this.fail('unterminated or too long /regex/');
    const flags = /^[imsx]*/.exec(this.text.slice(close + 1))?.[0] ?? '';
    this.pos = close + 1 + flags.length;
    try {
      // .NET's "x" (ignore pattern whitespace) has no JS equivalent and is dropped.
      return { kind: 'regex', regex: new RegExp(this.text.slice(start + 1, close), flags.replace('x', '')) };
    } catch (e) {
      return this.fail(`invalid regular expression: ${(e as Error).message}`, start);
    }
  }
}
