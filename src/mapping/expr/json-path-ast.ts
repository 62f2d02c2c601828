/**
 * Syntax tree of a full JSONPath query as Newtonsoft.Json's `SelectTokens` reads it — the dialect MedTech
 * templates are written in (`$..[?(@heartrate)]`, `$.SystemProperties.iothub-connection-device-id`).
 * See: https://www.newtonsoft.com/json/help/html/QueryJsonSelectTokenJsonPath.htm and RFC 9535 for the
 * common core. Parsed once by {@link parseJsonPathQuery}; never evaluated as code.
 */

/** One step of a path; `scan` means "this step and all descendants" (`..`). */
export type QueryStep =
  | { kind: 'root' }
  | { kind: 'field'; name: string | null; scan: boolean }
  | { kind: 'fields'; names: string[] }
  | { kind: 'index'; indexes: number[] }
  | { kind: 'all' }
  | { kind: 'slice'; start?: number; end?: number; step?: number }
  | { kind: 'filter'; test: FilterExpr; scan: boolean };

export type CompareOp = '==' | '!=' | '===' | '!==' | '<' | '<=' | '>' | '>=' | '=~';

/** A filter operand: a path from `@` (current) or `$` (root), or a literal value. */
export type Operand =
  | { kind: 'path'; from: '@' | '$'; steps: QueryStep[] }
  | { kind: 'value'; value: string | number | boolean | null }
  | { kind: 'regex'; regex: RegExp };

export type FilterExpr =
  | { kind: 'exists'; path: Operand & { kind: 'path' } }
  | { kind: 'compare'; op: CompareOp; left: Operand; right: Operand }
  | { kind: 'and' | 'or'; parts: FilterExpr[] };

/** Thrown for a query that does not parse; `index` is the character offset of the problem. */
export class JsonPathQuerySyntaxError extends Error {
  override readonly name = 'JsonPathQuerySyntaxError';
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}
