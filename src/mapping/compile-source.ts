import { compileJsonPath, JsonPathSyntaxError } from './json-path';
import { definitionError, docPathText, type CompileContext } from './compile-context';
import { compileExpression, ExpressionSyntaxError, type EvalScope } from './expr/expression';
import type { DocPath } from './parse-mapping-text';
import type { Scalar, SourceKeys, SourceSpec } from './mapping-document';
import { traceValue, type Trace } from './trace';

/** Where an extractor reads: `$` (root), `@` (current reading) and, when recording, the trace. */
export interface ReadScope extends EvalScope {
  readonly trace?: Trace;
}

/** A compiled "where does this value come from". */
export interface Extractor {
  /** The value in the payload (undefined when absent), or the constant. Recorded in the scope's trace. */
  read(scope: ReadScope): unknown;
  /** Payload location for issue expressions (`device.serial`, `@.v` relative to the reading); '' for constants. */
  readonly where: string;
  /** As written in the mapping, for messages (`$.device.serial`, `const "Acme"`). */
  readonly text: string;
  readonly isConst: boolean;
}

const KEYS = ['path', 'expression', 'const'] as const;

/** A scope of just one payload (no `each`): `$` and `@` are the payload. */
export const scopeOf = (payload: unknown): ReadScope => ({ root: payload, current: payload, currentLoc: '' });

/**
 * Compile a source: a path string (`$…` from the item, `@…` from the current reading), or an object with
 * exactly one of `path`, `expression` (+ `language`: `jsonpath`, the default, or `jmespath`) or `const`.
 * A path selects at most one node; an `expression` that selects several values is an error at run time.
 */
export function compileSource(spec: SourceSpec | SourceKeys, at: DocPath, ctx: CompileContext): Extractor {
  const where = docPathText(at);
  if (typeof spec === 'string') return compilePath(spec, at, ctx, where);
  const present = KEYS.filter((k) => spec[k] !== undefined);
  if (present.length !== 1) {
    throw definitionError(ctx, at, `needs exactly one of path, expression, const (found ${present.length === 0 ? 'none' : present.join(', ')})`);
  }
  if (spec.language !== undefined && spec.expression === undefined) {
    throw definitionError(ctx, [...at, 'language'], '`language` only applies to `expression`');
  }
  if (spec.path !== undefined) return compilePath(spec.path, [...at, 'path'], ctx, where);
  if (spec.expression !== undefined) return compileQuery(spec.expression, spec.language ?? 'jsonpath', [...at, 'expression'], ctx, where);
  return constant(spec.const as Scalar);
}

function compilePath(text: string, at: DocPath, ctx: CompileContext, traceAt: string): Extractor {
  try {
    const relative = text.startsWith('@');
    const path = compileJsonPath(relative ? `$${text.slice(1)}` : text);
    const where = relative ? (path.location === '' ? '@' : path.location.startsWith('[') ? `@${path.location}` : `@.${path.location}`) : path.location;
    const read = (s: ReadScope): unknown => {
      const value = path.get(relative ? s.current : s.root);
      s.trace?.push({ step: 'read', at: traceAt, expression: text, language: 'jsonpath', value: traceValue(value) });
      return value;
    };
    return { read, where, text, isConst: false };
  } catch (e) {
    if (e instanceof JsonPathSyntaxError) throw definitionError(ctx, at, e.message);
    throw e;
  }
}

/** A full JSONPath or JMESPath expression; one value expected (several: the run records an issue via `many`). */
function compileQuery(text: string, language: 'jsonpath' | 'jmespath', at: DocPath, ctx: CompileContext, traceAt: string): Extractor {
  try {
    const expr = compileExpression(text, language);
    const read = (s: ReadScope): unknown => {
      const found = expr.select(s);
      const value = found.length === 1 ? found[0]?.value : found.length === 0 ? undefined : new ManyValues(found.map((f) => f.value));
      s.trace?.push({ step: 'read', at: traceAt, expression: text, language, value: traceValue(value instanceof ManyValues ? value.values : value) });
      return value;
    };
    return { read, where: expr.where, text, isConst: false };
  } catch (e) {
    if (e instanceof ExpressionSyntaxError) throw definitionError(ctx, at, `${language === 'jmespath' ? 'JMESPath' : 'JSONPath'} ${e.message}`);
    throw e;
  }
}

/** What an expression returns when it selects several values where one is expected (reported as an issue). */
export class ManyValues {
  constructor(readonly values: unknown[]) {}
}

export function constant(value: Scalar): Extractor {
  return { read: () => value, where: '', text: `const ${JSON.stringify(value)}`, isConst: true };
}

/** JSON `null` is treated like an absent value: devices send it for "no reading". */
export const isAbsent = (v: unknown): v is null | undefined => v === undefined || v === null;
