import type { At, Issues } from './issues';
import { isUcumUnit, UCUM_SYSTEM } from './ucum';
import type { ValueSetIndex } from './value-sets';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Rules of particular datatypes and resources that the StructureDefinitions state in prose, not as invariants;
 * the HL7 reference validator enforces them, so do we.
 */
export function checkTypeRules(valueSets: ValueSetIndex, issues: Issues, type: string, value: Json, at: At): void {
  if (type === 'Coding') checkCoding(valueSets, issues, value, at);
  else if (type === 'Bundle') checkBundle(issues, value, at);
  else if (QUANTITIES.has(type)) checkQuantity(issues, value, at);
}

/** Quantity and its R4 specializations. */
export const QUANTITIES: ReadonlySet<string> = new Set(['Quantity', 'Age', 'Count', 'Distance', 'Duration', 'MoneyQuantity', 'SimpleQuantity']);

/**
 * A Quantity coded in UCUM carries a valid UCUM unit.
 * See: https://hl7.org/fhir/R4/datatypes.html#Quantity ("the system SHALL be UCUM … the code SHALL be a UCUM code")
 */
function checkQuantity(issues: Issues, q: Json, at: At): void {
  if (q.system === UCUM_SYSTEM && typeof q.code === 'string' && !isUcumUnit(q.code)) {
    issues.error('code-invalid', `The UCUM code '${q.code}' is not valid`, `${at}.code`);
  }
}

/**
 * Coding.system is an absolute URI naming a code system — not a value set.
 * See: https://hl7.org/fhir/R4/datatypes-definitions.html#Coding.system and https://hl7.org/fhir/R4/terminologies-systems.html
 */
function checkCoding(valueSets: ValueSetIndex, issues: Issues, coding: Json, at: At): void {
  const system = coding.system;
  if (typeof system !== 'string') return;
  if (!ABSOLUTE.test(system)) {
    issues.error('invalid', `Coding.system must be an absolute reference, not a local reference ('${system}')`, `${at}.system`);
  } else if (valueSets.isValueSetOnly(system)) {
    issues.error('invalid', `The Coding references a value set, not a code system ('${system}')`, `${at}.system`);
  }
}

/**
 * Bundle rules from https://hl7.org/fhir/R4/bundle.html: fullUrl is absolute (bundle.html#bundle-unique), a link
 * relation occurs once (bundle.html#searchset paging links), search results carry ids and an `outcome` entry is an
 * OperationOutcome (http.html#search).
 */
function checkBundle(issues: Issues, bundle: Json, at: At): void {
  const links = Array.isArray(bundle.link) ? bundle.link : [];
  const seen = new Set<string>();
  links.forEach((l: unknown, i) => {
    const rel = isObject(l) ? l.relation : undefined;
    if (typeof rel !== 'string') return;
    if (seen.has(rel)) issues.error('invalid', `The link relationship type '${rel}' can only occur once`, `${at}.link[${i}]`);
    seen.add(rel);
  });
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  entries.forEach((e: unknown, i) => {
    if (!isObject(e)) return;
    const where = `${at}.entry[${i}]`;
    if (typeof e.fullUrl === 'string' && !ABSOLUTE.test(e.fullUrl)) {
      issues.error('invalid', `The fullUrl must be an absolute URL (not '${e.fullUrl}')`, `${where}.fullUrl`);
    }
    if (bundle.type === 'searchset' && isObject(e.resource)) checkSearchEntry(issues, e, where);
  });
}

function checkSearchEntry(issues: Issues, entry: Json, where: string): void {
  const resource = entry.resource as Json;
  const mode = isObject(entry.search) ? entry.search.mode : undefined;
  if (mode === 'outcome') {
    if (resource.resourceType !== 'OperationOutcome') {
      issues.error('invalid', `A search entry with mode 'outcome' must be an OperationOutcome, not ${String(resource.resourceType)}`, `${where}.resource`);
    }
    return;
  }
  if (resource.id === undefined) issues.error('required', 'Search results must have ids', `${where}.resource`);
}
