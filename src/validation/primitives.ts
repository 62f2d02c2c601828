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
  // Decided once per type, not per value (hot: every primitive of every resource comes here).
  const dated = DATED.has(type);
  const limit = maxLength ?? Infinity;
  return (v) => {
    if (typeof v !== 'string') return wrongJson('string');
    if (v.length === 0) return bad('must not be an empty string');
    if (v.length > limit) return bad(`is longer than ${limit} characters`);
    if (regex !== undefined && !regex.test(v)) return bad(`'${clip(v)}' is not a valid ${type}`);
    if (dated && !realDate(v)) return bad(`'${clip(v)}' is not a valid ${type} (no such day)`);
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
  const year = digits(v, 0, 4);
  const month = digits(v, 5, 7);
  const day = digits(v, 8, 10);
  if (year < 0 || month < 0 || day < 0) return realDateSlow(v);
  return day <= lastDay(year, month);
}

/** The number written in `v[from, to)` when it is all ASCII digits, else -1 (no substring made). */
function digits(v: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The same, for what is not written in digits (a lexical form the type's regex let through, if any). */
function realDateSlow(v: string): boolean {
  return Number(v.slice(8, 10)) <= lastDay(Number(v.slice(0, 4)), Number(v.slice(5, 7)));
}

function lastDay(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Hand-written tests for the R4 regexes met on nearly every element, keyed by the pattern text itself (so another
 * pattern never gets them), each accepting exactly what the regex (with Java's `\s`, see javaWhitespace) accepts.
 * `string` / `markdown` admit every character but vertical tab and form feed; `code` no leading, trailing or
 * doubled whitespace; `id` 1–64 of `A-Za-z0-9-.`. (`uri`'s `\S*` stays a regex: on URIs of 20–60 characters the
 * regex engine is faster than a loop here.)
 * See: https://hl7.org/fhir/R4/datatypes.html#primitive (the `Regex` column).
 */
const NATIVE_REGEX: Readonly<Record<string, (v: string) => boolean>> = {
  '[ \\r\\n\\t\\S]+': (v) => v.length > 0 && !v.includes('\v') && !v.includes('\f'),
  '[^\\s]+(\\s[^\\s]+)*': (v) => {
    if (v.length === 0 || isJavaSpace(v.charCodeAt(0)) || isJavaSpace(v.charCodeAt(v.length - 1))) return false;
    for (let i = 1; i < v.length; i++) if (isJavaSpace(v.charCodeAt(i)) && isJavaSpace(v.charCodeAt(i - 1))) return false;
    return true;
  },
  '[A-Za-z0-9\\-\\.]{1,64}': (v) => {
    if (v.length === 0 || v.length > 64) return false;
    for (let i = 0; i < v.length; i++) if (!isIdChar(v.charCodeAt(i))) return false;
    return true;
  },
};

/** Java's `\s`: space, tab, line feed, vertical tab, form feed, carriage return. */
const isJavaSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
const isIdChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46;

function compileRegex(pattern: string): { test(v: string): boolean } {
  const native = NATIVE_REGEX[pattern];
  if (native !== undefined && Object.hasOwn(NATIVE_REGEX, pattern)) return { test: native };
  return new RegExp(`^(?:${javaWhitespace(pattern)})$`);
}

/** The regex the R4 `pattern` compiles to, without the hand-written shortcut (for tests comparing the two). */
export const regexOf = (pattern: string): RegExp => new RegExp(`^(?:${javaWhitespace(pattern)})$`);
/** The hand-written test for `pattern`, if there is one (for tests comparing it with the regex). */
export const nativeTestOf = (pattern: string): ((v: string) => boolean) | undefined => (Object.hasOwn(NATIVE_REGEX, pattern) ? NATIVE_REGEX[pattern] : undefined);

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
