import { definitionError, type CompileContext } from './compile-context';
import { compileExpression, ExpressionSyntaxError, type EvalScope } from './expr/expression';
import type { Selected } from './expr/json-path-eval';
import type { DocPath } from './parse-mapping-text';
import type { SourceSpec } from './mapping-document';
import { traceValue, type Trace } from './trace';

/** Selects the readings of a batch payload. */
export type EachReader = (scope: EvalScope & { trace?: Trace }) => Selected[];

/**
 * `each`: a JSONPath (full: `$.readings[*]`, `$.batches[*].samples[*]`, filters) or JMESPath expression whose
 * every result is one reading; a plain path (no wildcard, filter or `..`) that selects an array, or a JMESPath
 * array result, gives its elements. Nothing selected = no readings.
 */
export function compileEach(spec: SourceSpec, at: DocPath, ctx: CompileContext): EachReader {
  const text = typeof spec === 'string' ? spec : (spec.path ?? spec.expression);
  const language = typeof spec === 'string' ? 'jsonpath' : (spec.language ?? 'jsonpath');
  if (text === undefined) throw definitionError(ctx, at, '`each` needs a path or an expression');
  let expr: ReturnType<typeof compileExpression>;
  try {
    expr = compileExpression(text, language);
  } catch (e) {
    if (e instanceof ExpressionSyntaxError) throw definitionError(ctx, at, e.message);
    throw e;
  }
  const expands = language === 'jmespath' || !/[*?]|\.\./.test(text);
  return (scope) => {
    const found = expr.select(scope);
    const one = found.length === 1 && expands ? found[0] : undefined;
    const items = one && Array.isArray(one.value) ? one.value.map((value, i) => ({ value, loc: `${one.loc}[${i}]` })) : found;
    scope.trace?.push({ step: 'read', at: 'each', expression: text, language, value: traceValue(items.length) });
    return items;
  };
}
