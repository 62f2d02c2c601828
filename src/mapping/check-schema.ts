import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { MAPPING_SCHEMA } from './mapping-schema';
import { definitionError, type CompileContext } from './compile-context';
import type { DocPath } from './parse-mapping-text';
import type { MappingDocument } from './mapping-document';

let validate: ValidateFunction | undefined;

/** The schema validator, compiled once per process (ajv compiles to code; never per payload). */
function validator(): ValidateFunction {
  if (!validate) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(ajv, ['uri']);
    validate = ajv.compile(MAPPING_SCHEMA);
  }
  return validate;
}

/**
 * Check a parsed document against MAPPING_SCHEMA.
 * @throws FhirError ERR_MAPPING_INVALID naming the file, line and the most specific schema error.
 */
export function checkSchema(doc: unknown, ctx: CompileContext): MappingDocument {
  const v = validator();
  if (v(doc)) return doc as MappingDocument;
  const best = pickError(v.errors ?? []);
  const path = pathOf(best);
  throw definitionError(ctx, path, describe(best));
}

/** The deepest error, skipping anyOf/oneOf summaries (their branch errors say more). */
function pickError(errors: ErrorObject[]): ErrorObject {
  const useful = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  const pool = useful.length > 0 ? useful : errors;
  const depth = (e: ErrorObject): number => pathOf(e).length;
  return pool.reduce((a, b) => (depth(b) > depth(a) ? b : a));
}

function pathOf(e: ErrorObject): DocPath {
  const parts = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path: (string | number)[] = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  if (e.keyword === 'additionalProperties') path.push((e.params as { additionalProperty: string }).additionalProperty);
  return path;
}

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'required':
      return `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'enum':
      return `${e.message ?? 'invalid value'}: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return e.message ?? `invalid (${e.keyword})`;
  }
}
