import type { CodeableConcept, Coding } from 'fhir/r4';
import { definitionError, type CompileContext } from '../compile-context';
import type { DocPath } from '../parse-mapping-text';
import { isUcumCode } from '../units';
import { collectionEntries, requiredString, templateKind } from './templates';

/**
 * MedTech's FHIR destination mapping: CollectionFhir holding CodeValueFhir templates, checked at load.
 * Stricter than MedTech where a mistake would otherwise reach the EHR: every code needs a system, and a
 * Quantity whose system is UCUM needs a valid UCUM code.
 * See: https://learn.microsoft.com/azure/healthcare-apis/iot/overview-of-fhir-destination-mapping
 */

export type FhirValue =
  | { valueType: 'SampledData'; valueName: string; defaultPeriod: number; unit?: string }
  | { valueType: 'Quantity'; valueName: string; unit?: string; code?: string; system?: string; invalidUnit?: string }
  | { valueType: 'String'; valueName: string }
  | { valueType: 'CodeableConcept'; valueName: string; concept: CodeableConcept };

/** 0 one Observation per reading; 60 per UTC clock hour; 1440 per UTC day; -1 per correlation id. */
export type PeriodInterval = 0 | 60 | 1440 | -1;

export interface FhirTemplate {
  readonly typeName: string;
  readonly at: DocPath;
  readonly periodInterval: PeriodInterval;
  readonly codes: readonly Coding[];
  readonly category?: readonly CodeableConcept[];
  readonly value?: FhirValue;
  readonly components: ReadonlyArray<{ codes: readonly Coding[]; value: FhirValue }>;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const VALUE_TYPES = ['SampledData', 'Quantity', 'String', 'CodeableConcept'] as const;

/**
 * @param warnings receives problems that MedTech accepts and that only matter when such a reading arrives (a
 *   Quantity unit that claims UCUM but is not UCUM): the template set still loads, the reading is refused.
 * @returns the templates by typeName (a typeName may appear once).
 */
export function checkFhirMapping(doc: unknown, ctx: CompileContext, warnings: string[] = []): Map<string, FhirTemplate> {
  const out = new Map<string, FhirTemplate>();
  collectionEntries(doc, 'collectionfhir', ctx).forEach((entry, i) => {
    const at: DocPath = ['template', i];
    if (!isObj(entry) || templateKind(entry.templateType) !== 'codevaluefhir') {
      throw definitionError(ctx, [...at, 'templateType'], 'expected templateType "CodeValueFhir"');
    }
    const t = fhirTemplate(entry.template, [...at, 'template'], ctx, warnings);
    if (out.has(t.typeName)) throw definitionError(ctx, [...at, 'template', 'typeName'], `typeName "${t.typeName}" is already mapped`);
    out.set(t.typeName, t);
  });
  return out;
}

function fhirTemplate(t: unknown, at: DocPath, ctx: CompileContext, warnings: string[]): FhirTemplate {
  if (!isObj(t)) throw definitionError(ctx, at, 'expected a template object');
  const period = t.periodInterval ?? 0;
  if (period !== 0 && period !== 60 && period !== 1440 && period !== -1) {
    throw definitionError(ctx, [...at, 'periodInterval'], 'periodInterval is 0 (single), 60 (hourly), 1440 (daily) or -1 (by correlation id)');
  }
  const components = t.components ?? [];
  if (!Array.isArray(components)) throw definitionError(ctx, [...at, 'components'], '"components" must be an array');
  if (t.value === undefined && components.length === 0) throw definitionError(ctx, at, 'a template needs a value, components, or both');
  return {
    typeName: requiredString(t, 'typeName', at, ctx), at, periodInterval: period,
    codes: codings(t.codes, [...at, 'codes'], ctx, true),
    category: t.category === undefined ? undefined : categories(t.category, [...at, 'category'], ctx),
    value: t.value === undefined ? undefined : fhirValue(t.value, [...at, 'value'], ctx, warnings),
    components: components.map((c: unknown, i: number) => {
      const cAt = [...at, 'components', i];
      if (!isObj(c)) throw definitionError(ctx, cAt, 'expected {codes, value}');
      return { codes: codings(c.codes, [...cAt, 'codes'], ctx, true), value: fhirValue(c.value, [...cAt, 'value'], ctx, warnings) };
    }),
  };
}

function codings(raw: unknown, at: DocPath, ctx: CompileContext, required: boolean): Coding[] {
  if (raw === undefined && !required) return [];
  if (!Array.isArray(raw) || (required && raw.length === 0)) throw definitionError(ctx, at, '"codes" needs at least one {code, system, display}');
  return raw.map((c: unknown, i: number) => {
    if (!isObj(c)) throw definitionError(ctx, [...at, i], 'expected {code, system, display}');
    const code = requiredString(c, 'code', [...at, i], ctx);
    if (typeof c.system !== 'string' || c.system.trim() === '') {
      throw definitionError(ctx, [...at, i, 'system'], `code "${code}" has no system: add the code system URI (e.g. http://loinc.org)`);
    }
    const out: Coding = { system: c.system, code };
    if (typeof c.display === 'string' && c.display !== '') out.display = c.display;
    return out;
  });
}

function categories(raw: unknown, at: DocPath, ctx: CompileContext): CodeableConcept[] {
  if (!Array.isArray(raw)) throw definitionError(ctx, at, '"category" must be an array of {text, codes}');
  return raw.map((c: unknown, i: number) => {
    if (!isObj(c)) throw definitionError(ctx, [...at, i], 'expected {text, codes}');
    const concept: CodeableConcept = {};
    const coding = codings(c.codes, [...at, i, 'codes'], ctx, false);
    if (coding.length > 0) concept.coding = coding;
    if (typeof c.text === 'string' && c.text !== '') concept.text = c.text;
    return concept;
  });
}

function fhirValue(raw: unknown, at: DocPath, ctx: CompileContext, warnings: string[]): FhirValue {
  if (!isObj(raw)) throw definitionError(ctx, at, 'expected {valueType, valueName, …}');
  const valueType = VALUE_TYPES.find((v) => v.toLowerCase() === String(raw.valueType).toLowerCase());
  if (!valueType) throw definitionError(ctx, [...at, 'valueType'], `valueType is one of ${VALUE_TYPES.join(', ')}`);
  const valueName = requiredString(raw, 'valueName', at, ctx);
  const text = (k: string): string | undefined => (typeof raw[k] === 'string' && raw[k] !== '' ? (raw[k] as string) : undefined);
  switch (valueType) {
    case 'SampledData': {
      const period = raw.defaultPeriod;
      if (typeof period !== 'number' || !(period > 0)) throw definitionError(ctx, [...at, 'defaultPeriod'], 'SampledData needs defaultPeriod (milliseconds, > 0)');
      return { valueType, valueName, defaultPeriod: period, unit: text('unit') };
    }
    case 'Quantity': {
      const q: FhirValue = { valueType, valueName, unit: text('unit'), code: text('code'), system: text('system') };
      if (q.code && !q.system) throw definitionError(ctx, [...at, 'system'], `unit code "${q.code}" has no system (UCUM: http://unitsofmeasure.org)`);
      if (q.system === 'http://unitsofmeasure.org' && q.code && !isUcumCode(q.code)) {
        q.invalidUnit = definitionError(ctx, [...at, 'code'], `"${q.code}" is not a UCUM unit code (see https://ucum.org/ucum); readings of this type are refused`).message;
        warnings.push(q.invalidUnit);
      }
      return q;
    }
    case 'String':
      return { valueType, valueName };
    case 'CodeableConcept': {
      const concept: CodeableConcept = { coding: codings(raw.codes, [...at, 'codes'], ctx, true) };
      if (text('text')) concept.text = text('text');
      return { valueType, valueName, concept };
    }
  }
}
