import { compilePrimitives, nativeTestOf, regexOf } from '../../src/validation/primitives';
import { loadDefinitions } from '../../src/validation';

/**
 * The primitive checks test the commonest R4 regexes by hand (primitives.ts NATIVE_REGEX): each must accept
 * exactly what its regex accepts. Compared on every string up to length 3 over an alphabet of the characters that
 * matter (Java whitespace, no-break space, id characters, others) plus seeded random longer strings.
 */
const ALPHABET = [' ', '\t', '\n', '\v', '\f', '\r', '\u00a0', '\u2003', 'a', 'Z', '0', '-', '.', '_', ':', '/', 'é', '\ud83d'];

function* strings(): Generator<string> {
  const short = (n: number): string[] => (n === 0 ? [''] : short(n - 1).flatMap((s) => ALPHABET.map((c) => s + c)));
  for (let n = 0; n <= 3; n++) yield* short(n);
  let seed = 42;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(next() * 80);
    let s = '';
    for (let k = 0; k < len; k++) s += next() < 0.8 ? 'x' : (ALPHABET[Math.floor(next() * ALPHABET.length)] as string);
    yield s;
  }
  yield 'a'.repeat(64);
  yield 'a'.repeat(65);
}

const patterns = (): [string, string][] => {
  const out: [string, string][] = [];
  for (const sd of loadDefinitions().structureDefinitions) {
    if (sd.kind !== 'primitive-type') continue;
    const el = sd.snapshot?.element.find((e) => e.path === `${sd.type}.value`);
    const p = el?.type?.[0]?.extension?.find((x) => x.url === 'http://hl7.org/fhir/StructureDefinition/regex')?.valueString;
    if (p !== undefined && nativeTestOf(p) !== undefined) out.push([sd.type, p]);
  }
  return out;
};

describe('hand-written primitive regex tests', () => {
  const found = patterns();

  it('cover string, markdown, code and id', () => {
    expect(found.map(([t]) => t).sort()).toEqual(['code', 'id', 'markdown', 'string']);
  });

  it.each(found)('%s accepts exactly what its R4 regex accepts', (_type, pattern) => {
    const native = nativeTestOf(pattern) as (v: string) => boolean;
    const regex = regexOf(pattern);
    const differing: string[] = [];
    for (const s of strings()) if (native(s) !== regex.test(s)) differing.push(JSON.stringify(s));
    expect(differing).toEqual([]);
  });

  it('rejects a day the month does not have, accepts 29 February of a leap year', () => {
    const checks = compilePrimitives(loadDefinitions().structureDefinitions);
    const dateTime = checks.get('dateTime');
    expect(dateTime?.('2021-02-29')?.text).toContain('no such day');
    expect(dateTime?.('2024-02-29T10:00:00Z')).toBeUndefined();
    expect(dateTime?.('2000-02-29')).toBeUndefined();
    expect(dateTime?.('1900-02-29')?.text).toContain('no such day');
    expect(checks.get('instant')?.('2021-04-31T00:00:00Z')?.text).toContain('no such day');
  });
});
