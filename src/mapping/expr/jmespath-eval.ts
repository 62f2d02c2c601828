import { callFunction, checkCall, deepEqual, JmesPathError, typeOf, type ExpRef } from './jmespath-functions';

/**
 * JMESPath: the `jmespath` package parses (its parser is spec-conformant), this module interprets the tree,
 * because the package offers no way to add functions and MedTech templates call custom ones. Functions are
 * checked at compile time (unknown name, arity), values at run time. Only own properties are read.
 * See: https://jmespath.org/specification.html
 */

/** The parser's syntax-tree node (jmespath.js AST). */
interface AstNode {
  type: string;
  name?: string;
  value?: unknown;
  children?: Array<AstNode | number | null>;
}

// @types/jmespath declares only `search`; the package also exports `compile` (its parser), typed here.
const { compile: parseJmesPath } = require('jmespath') as { compile(text: string): unknown };

export interface JmesPathProgram {
  readonly text: string;
  search(data: unknown): unknown;
}

/** @throws JmesPathError when the expression does not parse or calls an unknown function. */
export function compileJmesPath(text: string): JmesPathProgram {
  let ast: AstNode;
  try {
    ast = parseJmesPath(text) as unknown as AstNode;
  } catch (e) {
    throw new JmesPathError((e as Error).message);
  }
  checkFunctions(ast);
  return Object.freeze({ text, search: (data: unknown) => visit(ast, data ?? null) });
}

function checkFunctions(node: AstNode | number | null | undefined): void {
  if (node === null || node === undefined || typeof node === 'number') return;
  if (node.type === 'Function') checkCall(node.name as string, node.children?.length ?? 0);
  node.children?.forEach(checkFunctions);
  if (node.type === 'KeyValuePair') checkFunctions(node.value as AstNode);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isFalse = (v: unknown): boolean =>
  v === null || v === undefined || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
const child = (n: AstNode, i: number): AstNode => n.children?.[i] as AstNode;

function visit(node: AstNode, value: unknown): unknown {
  switch (node.type) {
    case 'Field':
      return isObject(value) && Object.prototype.hasOwnProperty.call(value, node.name as string) ? (value[node.name as string] ?? null) : null;
    case 'Subexpression':
      return (node.children as AstNode[]).reduce((v: unknown, c) => (v === null ? null : visit(c, v)), value);
    case 'IndexExpression':
      return visit(child(node, 1), visit(child(node, 0), value));
    case 'Index': {
      if (!Array.isArray(value)) return null;
      const i = (node.value as number) < 0 ? value.length + (node.value as number) : (node.value as number);
      return value[i] ?? null;
    }
    case 'Slice':
      return Array.isArray(value) ? slice(value, node.children as Array<number | null>) : null;
    case 'Identity':
    case 'Current':
      return value;
    case 'Literal':
      return node.value;
    default:
      return visitCompound(node, value);
  }
}

function visitCompound(node: AstNode, value: unknown): unknown {
  switch (node.type) {
    case 'Projection':
    case 'ValueProjection':
    case 'FilterProjection':
      return project(node, value);
    case 'Flatten': {
      const base = visit(child(node, 0), value);
      return Array.isArray(base) ? base.flatMap((x) => (Array.isArray(x) ? x : [x])) : null;
    }
    case 'MultiSelectList':
      return value === null ? null : (node.children as AstNode[]).map((c) => visit(c, value));
    case 'MultiSelectHash':
      return value === null ? null : Object.fromEntries((node.children as AstNode[]).map((kv) => [kv.name, visit(kv.value as AstNode, value)]));
    case 'OrExpression': {
      const first = visit(child(node, 0), value);
      return isFalse(first) ? visit(child(node, 1), value) : first;
    }
    case 'AndExpression': {
      const first = visit(child(node, 0), value);
      return isFalse(first) ? first : visit(child(node, 1), value);
    }
    case 'NotExpression':
      return isFalse(visit(child(node, 0), value));
    case 'Pipe':
      return visit(child(node, 1), visit(child(node, 0), value));
    case 'Comparator':
      return comparator(node.name as string, visit(child(node, 0), value), visit(child(node, 1), value));
    case 'ExpressionReference': {
      const target = child(node, 0);
      return { expref: (v: unknown) => visit(target, v) } satisfies ExpRef;
    }
    case 'Function':
      return callFunction(node.name as string, (node.children as AstNode[]).map((c) => visit(c, value)));
    default:
      throw new JmesPathError(`unsupported JMESPath node ${node.type}`);
  }
}

function project(node: AstNode, value: unknown): unknown {
  const base = visit(child(node, 0), value);
  let items: unknown[];
  if (node.type === 'ValueProjection') {
    if (!isObject(base)) return null;
    items = Object.values(base);
  } else {
    if (!Array.isArray(base)) return null;
    items = node.type === 'FilterProjection' ? base.filter((x) => !isFalse(visit(child(node, 2), x))) : base;
  }
  const out: unknown[] = [];
  for (const item of items) {
    const r = visit(child(node, 1), item);
    if (r !== null && r !== undefined) out.push(r);
  }
  return out;
}

function comparator(name: string, a: unknown, b: unknown): unknown {
  if (name === 'EQ') return deepEqual(a, b);
  if (name === 'NE') return !deepEqual(a, b);
  if (typeOf(a) !== 'number' || typeOf(b) !== 'number') return null;
  const x = a as number;
  const y = b as number;
  return name === 'GT' ? x > y : name === 'GTE' ? x >= y : name === 'LT' ? x < y : x <= y;
}

function slice(arr: unknown[], [start, stop, stepIn]: Array<number | null>): unknown[] {
  const step = stepIn ?? 1;
  if (step === 0) throw new JmesPathError('slice step cannot be 0');
  const len = arr.length;
  const cap = (i: number): number => (i < 0 ? Math.max(len + i, step < 0 ? -1 : 0) : Math.min(i, step < 0 ? len - 1 : len));
  const from = start === null || start === undefined ? (step < 0 ? len - 1 : 0) : cap(start);
  const to = stop === null || stop === undefined ? (step < 0 ? -1 : len) : cap(stop);
  const out: unknown[] = [];
  for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(arr[i]);
  return out;
}
