import { compileSource, scopeOf, type ReadScope } from './compile-source';
import { definitionError, type CompileContext } from './compile-context';
import type { DocPath } from './parse-mapping-text';
import type { MatchSpec, Scalar } from './mapping-document';
import type { MatchContext } from './types';

/** A compiled rule: evaluated in a scope (`$` the item, `@` a reading) with what the transport knows. */
export type MatchFn = (scope: ReadScope, context?: MatchContext) => boolean;

const TESTS = ['equals', 'in', 'exists'] as const;
const GROUPS = ['all', 'any', 'not', 'topic'] as const;

/** `match`: the payload only (`$` = `@` = the item). */
export const matchPayload = (fn: MatchFn) => (payload: unknown, context?: MatchContext): boolean => fn(scopeOf(payload), context);

/**
 * Compile a match rule: `{path, equals}`, `{path, in: [...]}`, `{path, exists}`, `{topic}`, or `{all}`, `{any}`,
 * `{not}`. Values compare with strict equality on JSON scalars (no type coercion: "1" does not equal 1).
 */
export function compileMatch(spec: MatchSpec, at: DocPath, ctx: CompileContext): MatchFn {
  const groups = GROUPS.filter((k) => spec[k] !== undefined);
  const tests = TESTS.filter((k) => spec[k] !== undefined);
  const hasSource = spec.path !== undefined || spec.expression !== undefined || spec.const !== undefined;
  if (groups.length + (hasSource ? 1 : 0) !== 1) {
    throw definitionError(ctx, at, 'a match rule is exactly one of {path, equals|in|exists}, {topic}, {all}, {any}, {not}');
  }
  if (spec.topic !== undefined) return compileTopic(spec.topic, [...at, 'topic'], ctx);
  if (spec.all) {
    const parts = spec.all.map((m, i) => compileMatch(m, [...at, 'all', i], ctx));
    return (s, c) => parts.every((f) => f(s, c));
  }
  if (spec.any) {
    const parts = spec.any.map((m, i) => compileMatch(m, [...at, 'any', i], ctx));
    return (s, c) => parts.some((f) => f(s, c));
  }
  if (spec.not) {
    const inner = compileMatch(spec.not, [...at, 'not'], ctx);
    return (s, c) => !inner(s, c);
  }
  if (tests.length !== 1 || spec.const !== undefined) {
    throw definitionError(ctx, at, 'a path rule needs exactly one of equals, in, exists');
  }
  const source = compileSource({ path: spec.path, expression: spec.expression, language: spec.language }, at, ctx);
  if (spec.exists !== undefined) {
    const want = spec.exists;
    return (s) => (source.read(s) !== undefined) === want;
  }
  const allowed: Scalar[] = spec.in ?? [spec.equals as Scalar];
  return (s) => {
    const v = source.read(s);
    return allowed.some((a) => a === v);
  };
}

/**
 * MQTT topic filter: `+` matches one level, a final `#` the rest (and the parent level itself).
 * See: https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html#_Toc3901241
 */
function compileTopic(filter: string, at: DocPath, ctx: CompileContext): MatchFn {
  const levels = filter.split('/');
  const bad = levels.findIndex((l, i) => (l.includes('#') && (l !== '#' || i !== levels.length - 1)) || (l.includes('+') && l !== '+'));
  if (bad >= 0) throw definitionError(ctx, at, `"${filter}" is not an MQTT topic filter (+ is a whole level, # only the last)`);
  return (_s, context) => {
    if (context?.topic === undefined) return false;
    const topic = context.topic.split('/');
    for (let i = 0; i < levels.length; i += 1) {
      if (levels[i] === '#') return true;
      if (i >= topic.length || (levels[i] !== '+' && levels[i] !== topic[i])) return false;
    }
    return topic.length === levels.length;
  };
}
