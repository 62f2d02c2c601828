import { compileSource } from './compile-source';
import { definitionError, type CompileContext } from './compile-context';
import type { DocPath } from './parse-mapping-text';
import type { MatchSpec, Scalar } from './mapping-document';

export type MatchFn = (payload: unknown) => boolean;

const TESTS = ['equals', 'in', 'exists'] as const;
const GROUPS = ['all', 'any', 'not'] as const;

/**
 * Compile a match rule: `{path, equals}`, `{path, in: [...]}`, `{path, exists}`, or `{all}`, `{any}`, `{not}`.
 * Values compare with strict equality on JSON scalars (no type coercion: "1" does not equal 1).
 */
export function compileMatch(spec: MatchSpec, at: DocPath, ctx: CompileContext): MatchFn {
  const groups = GROUPS.filter((k) => spec[k] !== undefined);
  const tests = TESTS.filter((k) => spec[k] !== undefined);
  const hasSource = spec.path !== undefined || spec.expression !== undefined || spec.const !== undefined;
  if (groups.length + (hasSource ? 1 : 0) !== 1) {
    throw definitionError(ctx, at, 'a match rule is exactly one of {path, equals|in|exists}, {all}, {any}, {not}');
  }
  if (spec.all) {
    const parts = spec.all.map((m, i) => compileMatch(m, [...at, 'all', i], ctx));
    return (p) => parts.every((f) => f(p));
  }
  if (spec.any) {
    const parts = spec.any.map((m, i) => compileMatch(m, [...at, 'any', i], ctx));
    return (p) => parts.some((f) => f(p));
  }
  if (spec.not) {
    const inner = compileMatch(spec.not, [...at, 'not'], ctx);
    return (p) => !inner(p);
  }
  if (tests.length !== 1 || spec.const !== undefined) {
    throw definitionError(ctx, at, 'a path rule needs exactly one of equals, in, exists');
  }
  const source = compileSource({ path: spec.path, expression: spec.expression, language: spec.language }, at, ctx);
  if (spec.exists !== undefined) {
    const want = spec.exists;
    return (p) => (source.read(p) !== undefined) === want;
  }
  const allowed: Scalar[] = spec.in ?? [spec.equals as Scalar];
  return (p) => {
    const v = source.read(p);
    return allowed.some((a) => a === v);
  };
}
