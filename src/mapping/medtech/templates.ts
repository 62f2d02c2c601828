import { definitionError, type CompileContext } from '../compile-context';
import type { DocPath } from '../parse-mapping-text';
import type { ExpressionLanguage } from '../expr/expression';

/**
 * The shapes of MedTech's two template files, checked with file:line errors. Like MedTech (Newtonsoft), unknown
 * keys are ignored; unlike it, what would only fail on the first message fails here, at load.
 * See: https://learn.microsoft.com/azure/healthcare-apis/iot/overview-of-device-mapping and
 * https://learn.microsoft.com/azure/healthcare-apis/iot/overview-of-fhir-destination-mapping
 */

export type ContentKind = 'jsonpathcontent' | 'calculatedcontent' | 'iotjsonpathcontent' | 'iotcentraljsonpathcontent';

export interface ExpressionSpec {
  readonly text: string;
  readonly language: ExpressionLanguage;
  readonly at: DocPath;
}

export interface ValueSpec {
  readonly valueName: string;
  readonly expression: ExpressionSpec;
  readonly required: boolean;
}

export interface ContentTemplate {
  readonly kind: ContentKind;
  readonly typeName: string;
  readonly at: DocPath;
  readonly typeMatch: ExpressionSpec;
  readonly deviceId?: ExpressionSpec;
  readonly timestamp?: ExpressionSpec;
  readonly patientId?: ExpressionSpec;
  readonly encounterId?: ExpressionSpec;
  readonly correlationId?: ExpressionSpec;
  readonly values: readonly ValueSpec[];
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Template type names match case-insensitively and the `Template` suffix is optional. */
export const templateKind = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase().replace(/template$/, '') : '');

/** `{templateType, template: [...]}` of the expected collection kind; returns the entries. */
export function collectionEntries(doc: unknown, kind: 'collectioncontent' | 'collectionfhir', ctx: CompileContext): unknown[] {
  const want = kind === 'collectioncontent' ? 'CollectionContent' : 'CollectionFhir';
  if (!isObj(doc) || templateKind(doc.templateType) !== kind) {
    throw definitionError(ctx, ['templateType'], `expected templateType "${want}"`);
  }
  if (!Array.isArray(doc.template)) throw definitionError(ctx, ['template'], `"${want}" needs a "template" array`);
  return doc.template;
}

export function requiredString(o: Json, key: string, at: DocPath, ctx: CompileContext): string {
  const v = o[key];
  if (typeof v !== 'string' || v.trim() === '') throw definitionError(ctx, [...at, key], `"${key}" is required (a non-empty string)`);
  return v;
}

/** Parse the device mapping (normalisation) templates: CollectionContent. */
export function checkDeviceContent(doc: unknown, ctx: CompileContext): ContentTemplate[] {
  return collectionEntries(doc, 'collectioncontent', ctx).map((entry, i) => contentTemplate(entry, ['template', i], ctx));
}

const CONTENT_KINDS: readonly ContentKind[] = ['jsonpathcontent', 'calculatedcontent', 'iotjsonpathcontent', 'iotcentraljsonpathcontent'];

function contentTemplate(entry: unknown, at: DocPath, ctx: CompileContext): ContentTemplate {
  if (!isObj(entry)) throw definitionError(ctx, at, 'expected a {templateType, template} object');
  const kind = templateKind(entry.templateType) as ContentKind;
  if (!CONTENT_KINDS.includes(kind)) {
    throw definitionError(ctx, [...at, 'templateType'], `unknown templateType ${JSON.stringify(entry.templateType)} (known: JsonPathContent, CalculatedContent, IotJsonPathContent, IotCentralJsonPathContent)`);
  }
  const t = entry.template;
  const tAt = [...at, 'template'];
  if (!isObj(t)) throw definitionError(ctx, tAt, 'expected a template object');
  const language = defaultLanguage(kind, t, tAt, ctx);
  const expr = (key: string, required: boolean): ExpressionSpec | undefined => expression(t[key], key, [...tAt, key], language, kind, required, ctx);
  const iot = kind === 'iotjsonpathcontent' || kind === 'iotcentraljsonpathcontent';
  if (!Array.isArray(t.values ?? [])) throw definitionError(ctx, [...tAt, 'values'], '"values" must be an array');
  return {
    kind, at: tAt,
    typeName: requiredString(t, 'typeName', tAt, ctx),
    typeMatch: expr('typeMatchExpression', true) as ExpressionSpec,
    deviceId: iot ? undefined : expr('deviceIdExpression', true),
    timestamp: iot ? undefined : expr('timestampExpression', true),
    patientId: expr('patientIdExpression', false),
    encounterId: expr('encounterIdExpression', false),
    correlationId: expr('correlationIdExpression', false),
    values: ((t.values ?? []) as unknown[]).map((v, j) => valueSpec(v, [...tAt, 'values', j], language, kind, ctx)),
  };
}

function defaultLanguage(kind: ContentKind, t: Json, at: DocPath, ctx: CompileContext): ExpressionLanguage {
  const raw = t.defaultExpressionLanguage;
  if (raw === undefined) return 'jsonpath';
  const lang = typeof raw === 'string' ? raw.toLowerCase() : '';
  if (kind !== 'calculatedcontent' || (lang !== 'jsonpath' && lang !== 'jmespath')) {
    throw definitionError(ctx, [...at, 'defaultExpressionLanguage'], 'defaultExpressionLanguage is "JsonPath" or "JmesPath", and only in CalculatedContent');
  }
  return lang;
}

/** A string in the default language, or (CalculatedContent) `{value, language}`. */
function expression(raw: unknown, key: string, at: DocPath, language: ExpressionLanguage, kind: ContentKind, required: boolean, ctx: CompileContext): ExpressionSpec | undefined {
  if (raw === undefined || raw === null) {
    if (required) throw definitionError(ctx, at, `"${key}" is required`);
    return undefined;
  }
  if (typeof raw === 'string' && raw.trim() !== '') return { text: raw, language, at };
  if (isObj(raw) && kind === 'calculatedcontent') {
    const lang = typeof raw.language === 'string' ? raw.language.toLowerCase() : language;
    if (lang !== 'jsonpath' && lang !== 'jmespath') throw definitionError(ctx, [...at, 'language'], 'language is "JsonPath" or "JmesPath"');
    return { text: requiredString(raw, 'value', at, ctx), language: lang, at: [...at, 'value'] };
  }
  throw definitionError(ctx, at, `"${key}" must be an expression string${kind === 'calculatedcontent' ? ' or {value, language}' : ''}`);
}

function valueSpec(raw: unknown, at: DocPath, language: ExpressionLanguage, kind: ContentKind, ctx: CompileContext): ValueSpec {
  if (!isObj(raw)) throw definitionError(ctx, at, 'expected {valueName, valueExpression, required}');
  const req = raw.required;
  // MedTech accepts `true` and the string "true" (Newtonsoft converts it).
  if (req !== undefined && typeof req !== 'boolean' && req !== 'true' && req !== 'false') {
    throw definitionError(ctx, [...at, 'required'], '"required" is true or false');
  }
  return {
    valueName: requiredString(raw, 'valueName', at, ctx),
    expression: expression(raw.valueExpression, 'valueExpression', [...at, 'valueExpression'], language, kind, true, ctx) as ExpressionSpec,
    required: req === true || req === 'true',
  };
}
