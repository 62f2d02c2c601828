import { fromEpoch } from '../date-time';

/**
 * JMESPath functions: the built-ins of the specification and MedTech's additions (add, subtract, multiply,
 * divide, pow, insertString, fromUnixTimestamp, fromUnixTimestampMs).
 * See: https://jmespath.org/specification.html#built-in-functions and
 * https://learn.microsoft.com/azure/healthcare-apis/iot/how-to-use-custom-functions
 */

/** A reference to an expression (`&field`), passed to sort_by/max_by/min_by/map. */
export interface ExpRef {
  readonly expref: (value: unknown) => unknown;
}

export type JmesType = 'number' | 'string' | 'boolean' | 'array' | 'object' | 'null' | 'expref';

export class JmesPathError extends Error {
  override readonly name = 'JmesPathError';
}

export function typeOf(v: unknown): JmesType {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return (v as Partial<ExpRef>).expref ? 'expref' : 'object';
  return typeof v as JmesType;
}

type Fn = (args: unknown[]) => unknown;
interface FunctionDef {
  /** Allowed types per argument; 'any' accepts everything. */
  args: Array<JmesType[] | 'any'>;
  variadic?: boolean;
  fn: Fn;
}

const num = (v: unknown): number => v as number;
const str = (v: unknown): string => v as string;
const arr = (v: unknown): unknown[] => v as unknown[];
const ref = (v: unknown): ExpRef => v as ExpRef;
const isInt = (v: number): boolean => Number.isInteger(v);

function sortedBy(list: unknown[], key: ExpRef, name: string): unknown[] {
  const keyed = list.map((v, i) => ({ v, i, k: key.expref(v) }));
  const kind = typeOf(keyed[0]?.k);
  if (keyed.some((e) => typeOf(e.k) !== kind || (kind !== 'number' && kind !== 'string'))) {
    throw new JmesPathError(`${name}(): the expression must give all numbers or all strings`);
  }
  return keyed.sort((a, b) => ((a.k as number) < (b.k as number) ? -1 : (a.k as number) > (b.k as number) ? 1 : a.i - b.i)).map((e) => e.v);
}

/** Integer arithmetic when both operands are integers (as MedTech's functions do with .NET longs), else double. */
function arithmetic(name: string, op: (a: number, b: number, ints: boolean) => number): FunctionDef {
  return {
    args: [['number'], ['number']],
    fn: ([a, b]) => {
      const out = op(num(a), num(b), isInt(num(a)) && isInt(num(b)));
      if (!Number.isFinite(out)) throw new JmesPathError(`${name}(${String(a)}, ${String(b)}) has no finite result`);
      return out;
    },
  };
}

function epoch(unit: 's' | 'ms'): FunctionDef {
  return {
    args: [['number']],
    fn: ([v]) => {
      if (!isInt(num(v))) throw new JmesPathError(`fromUnixTimestamp${unit === 'ms' ? 'Ms' : ''}() needs an integer`);
      return fromEpoch(num(v), unit).utc;
    },
  };
}

export const FUNCTIONS: Readonly<Record<string, FunctionDef>> = {
  abs: { args: [['number']], fn: ([v]) => Math.abs(num(v)) },
  avg: { args: [['array']], fn: ([v]) => (arr(v).length === 0 ? null : arr(v).reduce((s: number, x) => s + num(x), 0) / arr(v).length) },
  ceil: { args: [['number']], fn: ([v]) => Math.ceil(num(v)) },
  contains: { args: [['string', 'array'], 'any'], fn: ([s, x]) => (typeof s === 'string' ? s.includes(str(x)) : arr(s).some((e) => deepEqual(e, x))) },
  ends_with: { args: [['string'], ['string']], fn: ([s, x]) => str(s).endsWith(str(x)) },
  floor: { args: [['number']], fn: ([v]) => Math.floor(num(v)) },
  join: { args: [['string'], ['array']], fn: ([sep, v]) => arr(v).map(String).join(str(sep)) },
  keys: { args: [['object']], fn: ([o]) => Object.keys(o as object) },
  length: { args: [['string', 'array', 'object']], fn: ([v]) => (typeof v === 'string' ? [...v].length : Array.isArray(v) ? v.length : Object.keys(v as object).length) },
  map: { args: [['expref'], ['array']], fn: ([e, v]) => arr(v).map((x) => ref(e).expref(x)) },
  max: { args: [['array']], fn: ([v]) => (arr(v).length === 0 ? null : arr(v).reduce((a, b) => ((b as number) > (a as number) ? b : a))) },
  max_by: { args: [['array'], ['expref']], fn: ([v, e]) => sortedBy(arr(v), ref(e), 'max_by').at(-1) ?? null },
  merge: { args: [['object']], variadic: true, fn: (objs) => Object.assign({}, ...objs) },
  min: { args: [['array']], fn: ([v]) => (arr(v).length === 0 ? null : arr(v).reduce((a, b) => ((b as number) < (a as number) ? b : a))) },
  min_by: { args: [['array'], ['expref']], fn: ([v, e]) => sortedBy(arr(v), ref(e), 'min_by')[0] ?? null },
  not_null: { args: ['any'], variadic: true, fn: (vs) => vs.find((v) => v !== null && v !== undefined) ?? null },
  reverse: { args: [['string', 'array']], fn: ([v]) => (typeof v === 'string' ? [...v].reverse().join('') : [...arr(v)].reverse()) },
  sort: { args: [['array']], fn: ([v]) => sortedBy(arr(v), { expref: (x) => x }, 'sort') },
  sort_by: { args: [['array'], ['expref']], fn: ([v, e]) => sortedBy(arr(v), ref(e), 'sort_by') },
  starts_with: { args: [['string'], ['string']], fn: ([s, x]) => str(s).startsWith(str(x)) },
  sum: { args: [['array']], fn: ([v]) => arr(v).reduce((s: number, x) => s + num(x), 0) },
  to_array: { args: ['any'], fn: ([v]) => (Array.isArray(v) ? v : [v]) },
  to_number: { args: ['any'], fn: ([v]) => toNumber(v) },
  to_string: { args: ['any'], fn: ([v]) => (typeof v === 'string' ? v : JSON.stringify(v)) },
  type: { args: ['any'], fn: ([v]) => typeOf(v) },
  values: { args: [['object']], fn: ([o]) => Object.values(o as object) },
  // MedTech's additions.
  add: arithmetic('add', (a, b) => a + b),
  subtract: arithmetic('subtract', (a, b) => a - b),
  multiply: arithmetic('multiply', (a, b) => a * b),
  divide: arithmetic('divide', (a, b, ints) => (ints ? (b === 0 ? NaN : Math.trunc(a / b)) : a / b)),
  pow: arithmetic('pow', (a, b) => Math.pow(a, b)),
  insertString: {
    args: [['string'], ['string'], ['number']],
    fn: ([s, ins, pos]) => {
      const at = num(pos);
      if (!isInt(at) || at < 0 || at > str(s).length) throw new JmesPathError(`insertString(): position ${at} is outside "${str(s)}"`);
      return str(s).slice(0, at) + str(ins) + str(s).slice(at);
    },
  },
  fromUnixTimestamp: epoch('s'),
  fromUnixTimestampMs: epoch('ms'),
};

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || !/^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) return null;
  return Number(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeOf(a) !== typeOf(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => deepEqual(x, (b as unknown[])[i]));
  if (typeOf(a) === 'object') {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/** Check arity at compile time. @throws JmesPathError for unknown functions or a wrong argument count. */
export function checkCall(name: string, argc: number): void {
  const def = Object.prototype.hasOwnProperty.call(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
  if (!def) throw new JmesPathError(`unknown function ${name}() (known: ${Object.keys(FUNCTIONS).join(', ')})`);
  const ok = def.variadic ? argc >= def.args.length : argc === def.args.length;
  if (!ok) throw new JmesPathError(`${name}() takes ${def.variadic ? 'at least ' : ''}${def.args.length} argument(s), got ${argc}`);
}

/** Call a function with type-checked arguments. */
export function callFunction(name: string, args: unknown[]): unknown {
  const def = FUNCTIONS[name] as FunctionDef;
  args.forEach((a, i) => {
    const want = def.args[Math.min(i, def.args.length - 1)] as JmesType[] | 'any';
    if (want !== 'any' && !want.includes(typeOf(a))) {
      throw new JmesPathError(`${name}(): argument ${i + 1} must be ${want.join(' or ')}, got ${typeOf(a)}`);
    }
  });
  return def.fn(args);
}
