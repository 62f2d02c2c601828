import { compileJsonPath, JsonPathSyntaxError } from './json-path';
import { definitionError, type CompileContext } from './compile-context';
import type { DocPath } from './parse-mapping-text';
import type { Scalar, SourceKeys, SourceSpec } from './mapping-document';

/** A compiled "where does this value come from". */
export interface Extractor {
  /** The value in the payload (undefined when absent), or the constant. */
  read(payload: unknown): unknown;
  /** Payload location for issue expressions (`device.serial`); '' for constants and the root. */
  readonly where: string;
  /** As written in the mapping, for messages (`$.device.serial`, `const "Acme"`). */
  readonly text: string;
  readonly isConst: boolean;
}

const KEYS = ['path', 'expression', 'const'] as const;

/**
 * Compile a source: a JSONPath string, or an object with exactly one of `path`, `expression` (+ `language`,
 * today only `jsonpath`; JMESPath can be added here without touching callers) or `const`.
 */
export function compileSource(spec: SourceSpec | SourceKeys, at: DocPath, ctx: CompileContext): Extractor {
  if (typeof spec === 'string') return compilePath(spec, at, ctx);
  const present = KEYS.filter((k) => spec[k] !== undefined);
  if (present.length !== 1) {
    throw definitionError(ctx, at, `needs exactly one of path, expression, const (found ${present.length === 0 ? 'none' : present.join(', ')})`);
  }
  if (spec.language !== undefined && spec.expression === undefined) {
    throw definitionError(ctx, [...at, 'language'], '`language` only applies to `expression`');
  }
  if (spec.path !== undefined) return compilePath(spec.path, [...at, 'path'], ctx);
  if (spec.expression !== undefined) return compilePath(spec.expression, [...at, 'expression'], ctx);
  return constant(spec.const as Scalar);
}

function compilePath(text: string, at: DocPath, ctx: CompileContext): Extractor {
  try {
    const path = compileJsonPath(text);
    return { read: (payload) => path.get(payload), where: path.location, text, isConst: false };
  } catch (e) {
    if (e instanceof JsonPathSyntaxError) throw definitionError(ctx, at, e.message);
    throw e;
  }
}

export function constant(value: Scalar): Extractor {
  return { read: () => value, where: '', text: `const ${JSON.stringify(value)}`, isConst: true };
}

/** JSON `null` is treated like an absent value: devices send it for "no reading". */
export const isAbsent = (v: unknown): v is null | undefined => v === undefined || v === null;
