/** Why a document was refused; each kind maps to one stable FhirError code in parse-ingest-body.ts. */
export type JsonErrorKind =
  | 'syntax'
  | 'control-character'
  | 'lone-surrogate'
  | 'duplicate-key'
  | 'forbidden-key'
  | 'too-deep'
  | 'too-many-items'
  | 'lossy-number';

/**
 * Raised by the strict parser; carries the FHIRPath-like location of the element (`item[3].value`) and
 * the character offset in the parsed text, so the caller can name line and column.
 */
export class JsonParseError extends Error {
  override readonly name = 'JsonParseError';

  constructor(
    readonly kind: JsonErrorKind,
    message: string,
    readonly path: string,
    readonly offset: number,
  ) {
    super(message);
  }
}
