import type { CompareOp, FilterExpr, Operand, QueryStep } from './json-path-ast';

/**
 * Evaluation of a parsed JSONPath query over plain JSON values, with Newtonsoft.Json's SelectTokens semantics:
 * own properties only (`__proto__` is never followed), document order, `..` scans pre-order, a filter after `..`
 * tests the node itself and every descendant, `==` compares values of the same JSON type (an integer equals the
 * same float; `"1"` does not equal `1`), ordering compares numbers numerically and strings ordinally, and a path
 * that selects a JSON `null` exists. Each result carries its location (`readings[2].value`) for issue expressions.
 */
export interface Selected {
  readonly value: unknown;
  /** FHIRPath-like location from the evaluation root, e.g. `Body.readings[2]`; '' for the root. */
  readonly loc: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const own = (o: Record<string, unknown>, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `loc` + `.name` (backticked when not a plain identifier, as FHIRPath delimits them). */
export function memberLoc(loc: string, name: string): string {
  const part = PLAIN.test(name) ? name : '`' + name.replace(/[`\\]/g, (c) => '\\' + c) + '`';
  return loc === '' ? part : `${loc}.${part}`;
}
const indexLoc = (loc: string, i: number): string => `${loc}[${i}]`;

/** Children of a container in document order. */
function children(n: Selected): Selected[] {
  if (Array.isArray(n.value)) return n.value.map((value, i) => ({ value, loc: indexLoc(n.loc, i) }));
  if (isObject(n.value)) return Object.keys(n.value).map((k) => ({ value: (n.value as Record<string, unknown>)[k], loc: memberLoc(n.loc, k) }));
  return [];
}

/** Every descendant of `n`, pre-order (not `n` itself). */
function descendants(n: Selected, out: Selected[] = []): Selected[] {
  for (const c of children(n)) {
    out.push(c);
    descendants(c, out);
  }
  return out;
}

/** Evaluate steps from `start` (the `@` node); `root` answers `$`. */
export function evaluate(steps: readonly QueryStep[], root: Selected, start: Selected): Selected[] {
  let current: Selected[] = [start];
  for (const step of steps) {
    if (current.length === 0) return current;
    current = step.kind === 'root' ? [root] : current.flatMap((n) => applyStep(step, n, root));
  }
  return current;
}

function applyStep(step: QueryStep, n: Selected, root: Selected): Selected[] {
  switch (step.kind) {
    case 'root':
      return [root];
    case 'field':
      return step.scan ? scanField(n, step.name) : field(n, step.name);
    case 'fields':
      return isObject(n.value) ? step.names.flatMap((k) => field(n, k)) : [];
    case 'all':
      return children(n);
    case 'index':
      return Array.isArray(n.value) ? step.indexes.flatMap((i) => at(n, i)) : [];
    case 'slice':
      return slice(n, step.start, step.end, step.step ?? 1);
    case 'filter': {
      // Newtonsoft's QueryFilter iterates a container's children; an object's children are its properties,
      // which no filter path selects from — so only array elements are tested. After `..`, every node is.
      const candidates = step.scan ? [n, ...descendants(n)] : Array.isArray(n.value) ? children(n) : [];
      return candidates.filter((c) => test(step.test, root, c));
    }
  }
}

function field(n: Selected, name: string | null): Selected[] {
  if (!isObject(n.value)) return [];
  if (name === null) return children(n);
  return own(n.value, name) ? [{ value: n.value[name], loc: memberLoc(n.loc, name) }] : [];
}

function scanField(n: Selected, name: string | null): Selected[] {
  const out: Selected[] = [];
  const walk = (node: Selected): void => {
    if (isObject(node.value)) {
      for (const k of Object.keys(node.value)) {
        const c = { value: node.value[k], loc: memberLoc(node.loc, k) };
        if (name === null || k === name) out.push(c);
        walk(c);
      }
    } else if (Array.isArray(node.value)) {
      node.value.forEach((value, i) => {
        const c = { value, loc: indexLoc(node.loc, i) };
        if (name === null) out.push(c);
        walk(c);
      });
    }
  };
  walk(n);
  return out;
}

function at(n: Selected, index: number): Selected[] {
  const arr = n.value as unknown[];
  const i = index < 0 ? arr.length + index : index;
  return i >= 0 && i < arr.length ? [{ value: arr[i], loc: indexLoc(n.loc, i) }] : [];
}

function slice(n: Selected, start: number | undefined, end: number | undefined, step: number): Selected[] {
  if (!Array.isArray(n.value)) return [];
  const len = n.value.length;
  const norm = (i: number): number => (i < 0 ? Math.max(len + i, step > 0 ? 0 : -1) : Math.min(i, step > 0 ? len : len - 1));
  const from = start === undefined ? (step > 0 ? 0 : len - 1) : norm(start);
  const to = end === undefined ? (step > 0 ? len : -1) : norm(end);
  const out: Selected[] = [];
  for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(...at(n, i));
  return out;
}

function test(expr: FilterExpr, root: Selected, node: Selected): boolean {
  switch (expr.kind) {
    case 'and':
      return expr.parts.every((p) => test(p, root, node));
    case 'or':
      return expr.parts.some((p) => test(p, root, node));
    case 'exists':
      return operandValues(expr.path, root, node).length > 0;
    case 'compare': {
      const left = operandValues(expr.left, root, node);
      const right = expr.right.kind === 'regex' ? [] : operandValues(expr.right, root, node);
      return left.some((l) => (expr.right.kind === 'regex' ? matchesRegex(l, expr.right.regex) : right.some((r) => compare(expr.op, l, r))));
    }
  }
}

function operandValues(op: Operand, root: Selected, node: Selected): unknown[] {
  if (op.kind === 'value') return [op.value];
  if (op.kind === 'regex') return [];
  return evaluate(op.steps, root, op.from === '$' ? root : node).map((s) => s.value);
}

const isScalar = (v: unknown): v is string | number | boolean | null => v === null || ['string', 'number', 'boolean'].includes(typeof v);

function matchesRegex(v: unknown, regex: RegExp): boolean {
  return typeof v === 'string' && regex.test(v);
}

/** Newtonsoft's MatchTokens: comparisons apply to primitives only; `!=` is true against a container. */
function compare(op: CompareOp, l: unknown, r: unknown): boolean {
  if (!isScalar(l) || !isScalar(r)) return op === '!=';
  switch (op) {
    case '==':
    case '===':
      return l === r;
    case '!=':
    case '!==':
      return l !== r;
    default: {
      const c = order(l, r);
      if (c === undefined) return false;
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
    }
  }
}

/** Ordering by the left operand's type: numbers numerically (a numeric string on the right converts), strings ordinally. */
function order(l: string | number | boolean | null, r: string | number | boolean | null): number | undefined {
  if (typeof l === 'number') {
    const n = typeof r === 'number' ? r : typeof r === 'string' && r.trim() !== '' ? Number(r) : NaN;
    return Number.isNaN(n) ? undefined : Math.sign(l - n);
  }
  if (typeof l === 'string' && r !== null) {
    const rs = String(r);
    return l < rs ? -1 : l > rs ? 1 : 0;
  }
  if (typeof l === 'boolean' && typeof r === 'boolean') return Number(l) - Number(r);
  return undefined;
}
