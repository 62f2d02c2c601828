import { JsonPathQuerySyntaxError, type QueryStep } from './json-path-ast';
import { evaluate, memberLoc, type Selected } from './json-path-eval';
import { parseJsonPathQuery } from './json-path-parse';
import { compileJmesPath } from './jmespath-eval';
import { JmesPathError } from './jmespath-functions';

export type ExpressionLanguage = 'jsonpath' | 'jmespath';

/** Where an expression is evaluated: `$` is `root`, `@` (and JMESPath's current node) is `current`. */
export interface EvalScope {
  readonly root: unknown;
  readonly current: unknown;
  /** Location of `current` inside `root` ('' when it is the root). */
  readonly currentLoc: string;
}

/** A compiled JSONPath (full, Newtonsoft dialect) or JMESPath expression. */
export interface CompiledExpression {
  readonly text: string;
  readonly language: ExpressionLanguage;
  /** Every selected node (JMESPath: its one result, unless null). */
  select(scope: EvalScope): Selected[];
  /** The payload location to name in issues when nothing usable was found ('' = the root, '@…' = relative). */
  readonly where: string;
}

/** Thrown for an expression that does not compile; the message says why. */
export class ExpressionSyntaxError extends Error {
  override readonly name = 'ExpressionSyntaxError';
}

/**
 * Compile an expression once, at mapping load.
 * @throws ExpressionSyntaxError (syntax, unknown function, wrong arity).
 * @example compileExpression("$..[?(@heartRate)]", 'jsonpath').select({ root: msg, current: msg, currentLoc: '' })
 */
export function compileExpression(text: string, language: ExpressionLanguage): CompiledExpression {
  try {
    if (language === 'jmespath') {
      const program = compileJmesPath(text);
      return Object.freeze({
        text, language, where: '@',
        select: (s: EvalScope) => {
          const value = program.search(s.current);
          return value === null || value === undefined ? [] : [{ value, loc: s.currentLoc }];
        },
      });
    }
    const steps = parseJsonPathQuery(text);
    const relative = steps[0]?.kind !== 'root';
    return Object.freeze({
      text, language, where: staticWhere(steps, relative),
      select: (s: EvalScope) => evaluate(steps, { value: s.root, loc: '' }, relative ? { value: s.current, loc: s.currentLoc } : { value: s.root, loc: '' }),
    });
  } catch (e) {
    if (e instanceof JsonPathQuerySyntaxError || e instanceof JmesPathError) throw new ExpressionSyntaxError(e.message);
    throw e;
  }
}

/** The location named by the leading plain steps (`$.a.b[0]` → `a.b[0]`), for issues about absent values. */
function staticWhere(steps: readonly QueryStep[], relative: boolean): string {
  let loc = '';
  for (const s of steps) {
    if (s.kind === 'root') continue;
    if (s.kind === 'field' && s.name !== null && !s.scan) loc = memberLoc(loc, s.name);
    else if (s.kind === 'index' && s.indexes.length === 1) loc += `[${s.indexes[0] as number}]`;
    else break;
  }
  if (!relative) return loc;
  return loc === '' ? '@' : loc.startsWith('[') ? `@${loc}` : `@.${loc}`;
}
