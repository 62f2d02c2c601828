import { mappingError, type DocPath, type LineLookup } from './parse-mapping-text';
import type { FhirError } from '../errors/fhir-error';

/** What every compile step needs to report a definition error with file and line. */
export interface CompileContext {
  readonly source: string;
  readonly lines?: LineLookup;
}

/** Render a document path the way engineers read it: `observations[0].value.quantity.from`. */
export function docPathText(path: DocPath): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? key : `.${key}`;
  return out === '' ? '(root)' : out;
}

/** A compile error at `path`: `<file>:<line>: <path>: <reason>`. */
export function definitionError(ctx: CompileContext, path: DocPath, reason: string): FhirError {
  const where = docPathText(path);
  return mappingError(ctx.source, ctx.lines?.(path), `${where}: ${reason}`, where);
}
