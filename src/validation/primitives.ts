import type { StructureDefinition } from 'fhir/r4';

/**
 * Primitive datatypes: JSON representation and lexical rules.
 * The regexes come from the R4 definitions themselves (extension `structuredefinition-regex` on `<type>.value`).
 * See: https://hl7.org/fhir/R4/datatypes.html#primitive and https://hl7.org/fhir/R4/json.html#primitive
 */
/** A problem with a primitive value: `structure` for the wrong JSON type, `value` for a bad lexical form. */
export interface PrimitiveProblem {
  readonly code: 'structure' | 'value';
  readonly text: string;
}
export type PrimitiveCheck = (value: unknown) => PrimitiveProblem | undefined;

const REGEX_EXT = 'http://hl7.org/fhir/StructureDefinition/regex';
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
/** JSON numbers in R4: see https://hl7.org/fhir/R4/json.html#primitive */
const NUMERIC = new Set(['integer', 'decimal', 'positiveInt', 'unsignedInt']);
const DATED = new Set(['date', 'dateTime', 'instant']);

/** Builds one check per primitive type name (`string`, `dateTime`, …) from the primitive StructureDefinitions. */
export function compilePrimitives(sds: Iterable<StructureDefinition>): Map<string, PrimitiveCheck> {
  const checks = new Map<string, PrimitiveCheck>();
  for (const sd of sds) {
    if (sd.kind !== 'primitive-type' || sd.derivation === 'constraint') continue;
    const valueEl = sd.snapshot?.element.find((e) => e.path === `${sd.type}.value`);
    const pattern = valueEl?.type?.[0]?.extension?.find((x) => x.url === REGEX_EXT)?.valueString;
    const regex = pattern === undefined ? undefined : compileRegex(pattern);
    checks.set(sd.type, checkFor(sd.type, regex, valueEl?.maxLength));
  }
  return checks;
}

function checkFor(type: string, regex: { test(v: string): boolean } | undefined, maxLength: number | undefined): PrimitiveCheck {
  if (type === 'boolean') return (v) => (typeof v === 'boolean' ? undefined : wrongJson('boolean'));
  if (NUMERIC.has(type)) return (v) => checkNumber(type, v);
  return (v) => {
    if (typeof v !== 'string') return wrongJson('string');
    if (v.length === 0) return bad('must not be an empty string');
    if (maxLength !== undefined && v.length > maxLength) return bad(`is longer than ${maxLength} characters`);
    if (regex !== undefined && !regex.test(v)) return bad(`'${clip(v)}' is not a valid ${type}`);
    if (DATED.has(type) && !realDate(v)) return bad(`'${clip(v)}' is not a valid ${type} (no such day)`);
    return undefined;
  };
}

function checkNumber(type: string, v: unknown): PrimitiveProblem | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return wrongJson('number');
  if (type === 'decimal') return undefined;
  if (!Number.isInteger(v) || v > INT32_MAX || v < INT32_MIN) return bad(`${v} is not a valid ${type}`);
  if (type === 'positiveInt' && v < 1) return bad(`${v} is not a valid positiveInt (must be >= 1)`);
  if (type === 'unsignedInt' && v < 0) return bad(`${v} is not a valid unsignedInt (must be >= 0)`);
  return undefined;
}

const wrongJson = (json: string): PrimitiveProblem => ({ code: 'structure', text: `must be a JSON ${json}` });
const bad = (text: string): PrimitiveProblem => ({ code: 'value', text });

/** The R4 regexes accept 2021-02-31; reject days the month does not have (Gregorian leap years). */
function realDate(v: string): boolean {
  if (v.length < 10) return true;
  const year = Number(v.slice(0, 4));
  const month = Number(v.slice(5, 7));
  const day = Number(v.slice(8, 10));
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const last = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= last;
}

/** The R4 `string` regex admits every character but vertical tab and form feed: test for those directly (hot path). */
const STRING_REGEX = '[ \\r\\n\\t\\S]+';
function compileRegex(pattern: string): { test(v: string): boolean } {
  if (pattern === STRING_REGEX) return { test: (v) => !v.includes('\v') && !v.includes('\f') };
  return new RegExp(`^(?:${javaWhitespace(pattern)})$`);
}

/**
 * The R4 regexes are written for Java, where `\s` / `\S` mean ASCII whitespace only; in JavaScript they include
 * U+00A0 and other Unicode spaces, so a no-break space inside a string (PHD rtsa-example-2) would fail `\S`.
 */
export function javaWhitespace(pattern: string): string {
  const WS = ' \\t\\n\\x0B\\f\\r';
  const NON_WS = '\\u0000-\\u0008\\u000E-\\u001F\\u0021-\\uFFFF';
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) {
      const n = pattern[i + 1] as string;
      i++;
      if (n === 's') out += inClass ? WS : `[${WS}]`;
      else if (n === 'S') out += inClass ? NON_WS : `[${NON_WS}]`;
      else out += c + n;
      continue;
    }
    if (c === '[' && !inClass) inClass = true;
    else if (c === ']' && inClass) inClass = false;
    out += c;
  }
  return out;
}

const clip = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}...` : s);
