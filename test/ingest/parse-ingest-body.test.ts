import { FhirError } from '../../src/errors/fhir-error';
import { MAX_DEPTH_CAP, parseIngestBody } from '../../src/ingest';

const limits = { maxItems: 1000, maxDepth: 32 };
const JSON_CT = 'application/json';
const ND_CT = 'application/x-ndjson';

function refusal(body: Buffer | string, contentType: string | null = JSON_CT, l = limits): FhirError {
  try {
    const ct = contentType ?? undefined; // null: no Content-Type header
    parseIngestBody(typeof body === 'string' ? Buffer.from(body, 'utf8') : body, ct, l);
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('expected a FhirError');
}

const issueOf = (e: FhirError) => e.outcome.issue[0];

describe('parseIngestBody — accepted bodies', () => {
  it('reads one JSON object as one item', () => {
    expect(parseIngestBody(Buffer.from('{"hr": 72, "at": "2024-05-01T10:00:00+02:00"}'), JSON_CT, limits)).toEqual([
      { hr: 72, at: '2024-05-01T10:00:00+02:00' },
    ]);
  });

  it('reads a JSON array of objects as items, with nested values intact', () => {
    const body = '[{"a": [1, -2.5, 0, true, null]}, {"b": {"c": "x\\u00e9\\ud83d\\ude00\\n"}}]';
    expect(parseIngestBody(Buffer.from(body), 'application/json; charset=UTF-8', limits)).toEqual([
      { a: [1, -2.5, 0, true, null] },
      { b: { c: 'xé😀\n' } },
    ]);
  });

  it('reads NDJSON, skipping empty lines and accepting CRLF', () => {
    const body = '{"n": 1}\r\n\n  \n{"n": 2}\n';
    expect(parseIngestBody(Buffer.from(body), ND_CT, limits)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('returns null-prototype objects (no inherited members to look up by mistake)', () => {
    const [item] = parseIngestBody(Buffer.from('{"x": {"y": 1}}'), JSON_CT, limits) as Array<Record<string, unknown>>;
    expect(Object.getPrototypeOf(item)).toBeNull();
    expect(Object.getPrototypeOf(item?.x)).toBeNull();
    expect((item as Record<string, unknown>).toString).toBeUndefined();
  });

  it.each([
    ['12345.678901234', 12345.678901234],
    ['9007199254740991', 9007199254740991],
    ['-9007199254740991', -9007199254740991],
    ['1.500000000000000000000', 1.5],
    ['1e300', 1e300],
    ['0.000000000000000000000', 0],
    ['-0', -0],
    ['123456789012345', 123456789012345],
    ['-123456789012345', -123456789012345],
    ['1234567890123456', 1234567890123456],
    ['100000000000000000000', 1e20],
    ['1E-5', 0.00001],
    ['-2.5e+3', -2500],
    ['2.2250738585073e-308', 2.2250738585073e-308],
  ])('keeps the number %s exactly', (literal, value) => {
    expect(parseIngestBody(Buffer.from(`{"v": ${literal}}`), JSON_CT, limits)).toEqual([{ v: value }]);
  });
});

describe('parseIngestBody — media type (case 35)', () => {
  it.each([
    [null],
    [''],
    ['text/plain'],
    ['application/xml'],
    ['application/json; charset=utf-16'],
    ['application/json; charset=UTF-16LE'],
    ['application/x-ndjson; charset=iso-8859-1'],
    ['application/json; charset'],
    ['application/jsonx'],
  ])('refuses Content-Type %p with 415', (ct) => {
    const e = refusal('{"a":1}', ct);
    expect([e.code, e.status, issueOf(e)?.code]).toEqual(['ERR_UNSUPPORTED_MEDIA_TYPE', 415, 'not-supported']);
  });

  it.each(['application/json', 'Application/JSON; Charset="utf-8"', 'application/json;charset=utf-8; foo=bar'])(
    'accepts Content-Type %p',
    (ct) => {
      expect(parseIngestBody(Buffer.from('{"a":1}'), ct, limits)).toHaveLength(1);
    },
  );
});

describe('parseIngestBody — refusals with code and location', () => {
  // [case, body, code, expression]
  const jsonCases: Array<[string, string | Buffer, string, string]> = [
    ['31 __proto__', '{"__proto__": {"polluted": true}}', 'ERR_JSON_FORBIDDEN_KEY', 'item[0].__proto__'],
    ['31 constructor.prototype', '[{"ok":1},{"constructor": {"prototype": {"x": 1}}}]', 'ERR_JSON_FORBIDDEN_KEY', 'item[1].constructor'],
    ['31 nested prototype', '{"a": {"prototype": 1}}', 'ERR_JSON_FORBIDDEN_KEY', 'item[0].a.prototype'],
    ['32 duplicate key', '[{},{},{},{"value": 1, "value": 999}]', 'ERR_JSON_DUPLICATE_KEY', 'item[3].value'],
    ['32 duplicate via escape', '{"value": 1, "\\u0076alue": 999}', 'ERR_JSON_DUPLICATE_KEY', 'item[0].value'],
    ['33 1e400', '{"vs": {"value": 1e400}}', 'ERR_JSON_NUMBER_PRECISION', 'item[0].vs.value'],
    ['33 -1e400', '{"value": -1e400}', 'ERR_JSON_NUMBER_PRECISION', 'item[0].value'],
    ['33 2^53+1', '{"value": 9007199254740993}', 'ERR_JSON_NUMBER_PRECISION', 'item[0].value'],
    ['33 16 significant digits', '{"value": 0.1234567890123456}', 'ERR_JSON_NUMBER_PRECISION', 'item[0].value'],
    ['33 underflow', '{"value": 1e-400}', 'ERR_JSON_NUMBER_PRECISION', 'item[0].value'],
    ['33 subnormal', '{"value": 5e-324}', 'ERR_JSON_NUMBER_PRECISION', 'item[0].value'],
    ['34 lone high surrogate', '{"s": "\\ud800"}', 'ERR_JSON_LONE_SURROGATE', 'item[0].s'],
    ['34 lone low surrogate', '{"s": "a\\udc00"}', 'ERR_JSON_LONE_SURROGATE', 'item[0].s'],
    ['34 high surrogate then non-low', '{"s": "\\ud800\\u0041"}', 'ERR_JSON_LONE_SURROGATE', 'item[0].s'],
    ['34 escaped NUL', '{"s": "a\\u0000"}', 'ERR_JSON_CONTROL_CHARACTER', 'item[0].s'],
    ['34 raw NUL in string', '{"s": "a\u0000"}', 'ERR_JSON_CONTROL_CHARACTER', 'item[0].s'],
    ['34 raw tab in string', '{"s": "a\tb"}', 'ERR_JSON_CONTROL_CHARACTER', 'item[0].s'],
    ['34 NUL outside strings', '{"a": 1}\u0000', 'ERR_JSON_SYNTAX', 'item[0]'],
    ['34 vertical tab as whitespace', '{"a":\u000b1}', 'ERR_JSON_SYNTAX', 'item[0].a'],
    ['34 BOM', Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"a":1}')]), 'ERR_JSON_BOM', 'item'],
    ['34 invalid UTF-8', Buffer.from([...Buffer.from('{"s":"'), 0xc3, 0x28, ...Buffer.from('"}')]), 'ERR_INVALID_UTF8', 'item'],
    ['34 encoded surrogate', Buffer.from([...Buffer.from('{"s":"'), 0xed, 0xa0, 0x80, ...Buffer.from('"}')]), 'ERR_INVALID_UTF8', 'item'],
    ['34 overlong', Buffer.from([...Buffer.from('{"s":"'), 0xc0, 0xaf, ...Buffer.from('"}')]), 'ERR_INVALID_UTF8', 'item'],
    ['34 UTF-16 body', Buffer.from('{"a":1}', 'utf16le'), 'ERR_JSON_SYNTAX', 'item[0]'],
    ['35 line comment', '{"a": 1 // c\n}', 'ERR_JSON_SYNTAX', 'item[0]'],
    ['35 block comment', '/* c */ {"a": 1}', 'ERR_JSON_SYNTAX', 'item[0]'],
    ['35 trailing comma in object', '{"a": 1,}', 'ERR_JSON_SYNTAX', 'item[0]'],
    ['35 trailing comma in array', '{"a": [1, 2,]}', 'ERR_JSON_SYNTAX', 'item[0].a[2]'],
    ['35 trailing comma in item list', '[{"a": 1},]', 'ERR_JSON_SYNTAX', 'item[1]'],
    ['35 NaN', '{"v": NaN}', 'ERR_JSON_SYNTAX', 'item[0].v'],
    ['35 Infinity', '{"v": -Infinity}', 'ERR_JSON_SYNTAX', 'item[0].v'],
    ['35 leading zero', '{"v": 01}', 'ERR_JSON_SYNTAX', 'item[0].v'],
    ['35 lone minus', '{"v": -}', 'ERR_JSON_SYNTAX', 'item[0].v'],
    ['35 leading plus', '{"v": +1}', 'ERR_JSON_SYNTAX', 'item[0].v'],
    ['35 bare fraction', '{"v": .5}', 'ERR_JSON_SYNTAX', 'item[0].v'],
    ['35 dangling point', '{"v": 1.}', 'ERR_JSON_SYNTAX', 'item[0].v'],
    ['35 dangling exponent', '{"v": 1e+}', 'ERR_JSON_SYNTAX', 'item[0].v'],
    ['35 hex number', '{"v": 0x1F}', 'ERR_JSON_SYNTAX', 'item[0].v'],
    ['35 single quotes', "{'v': 1}", 'ERR_JSON_SYNTAX', 'item[0]'],
    ['35 unquoted key', '{v: 1}', 'ERR_JSON_SYNTAX', 'item[0]'],
    ['two values', '{"a":1} {"b":2}', 'ERR_JSON_SYNTAX', 'item[0]'],
    ['unterminated', '{"a": "x', 'ERR_JSON_SYNTAX', 'item[0].a'],
    ['item is a number', '[{"a":1}, 42]', 'ERR_INGEST_ITEM_NOT_OBJECT', 'item[1]'],
    ['item is an array', '[[{"a":1}]]', 'ERR_INGEST_ITEM_NOT_OBJECT', 'item[0]'],
    ['body is a string', '"hello"', 'ERR_INGEST_ITEM_NOT_OBJECT', 'item[0]'],
    ['empty body', '  ', 'ERR_INGEST_EMPTY', 'item'],
    ['empty array', '[]', 'ERR_INGEST_EMPTY', 'item'],
  ];

  it.each(jsonCases)('case %s → 400', (_name, body, code, expression) => {
    const e = refusal(body);
    expect(e.code).toBe(code);
    expect(e.status).toBe(400);
    expect(issueOf(e)?.expression).toEqual([expression]);
  });

  it('names line and column in the text of a JSON refusal', () => {
    const e = refusal('[\n  {"a": 1},\n  {"a": 1, "a": 2}\n]');
    expect(issueOf(e)?.expression).toEqual(['item[1].a']);
    expect(issueOf(e)?.diagnostics).toContain('line 3, column 12');
  });

  it('quotes keys that are not identifiers, FHIRPath-style', () => {
    expect(issueOf(refusal('{"a b": {"x": 1, "x": 2}}'))?.expression).toEqual(['item[0].`a b`.x']);
  });

  it('refuses a duplicate key without exposing the polluted prototype (case 31)', () => {
    expect(refusal('{"__proto__": {"isAdmin": true}}').code).toBe('ERR_JSON_FORBIDDEN_KEY');
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});

describe('parseIngestBody — NDJSON refusals: the expression is the payload path, the text names the line', () => {
  it.each([
    ['{"a":1}\n\n{"a":1,"a":2}\n', 'ERR_JSON_DUPLICATE_KEY', ['item[1].a'], 'line 3'],
    ['{"a":1}\n{"a":1,}\n', 'ERR_JSON_SYNTAX', ['item[1]'], 'line 2'],
    ['{"a":1}\n[1,2]\n', 'ERR_INGEST_ITEM_NOT_OBJECT', ['item[1]'], 'line 2'],
    ['{"a":1}\n{"b":\n1}\n', 'ERR_JSON_SYNTAX', ['item[1].b'], 'line 2'],
    ['\n\n', 'ERR_INGEST_EMPTY', ['item'], 'NDJSON'],
  ])('%p → %s at %p', (body, code, expression, text) => {
    const e = refusal(body, ND_CT);
    expect([e.code, e.status, issueOf(e)?.expression]).toEqual([code, 400, expression]);
    expect(issueOf(e)?.diagnostics).toContain(text);
  });

  it('names the line of invalid UTF-8 in the text', () => {
    const body = Buffer.concat([Buffer.from('{"a":1}\n{"a":1}\n{"s":"'), Buffer.from([0xff]), Buffer.from('"}\n')]);
    const e = refusal(body, ND_CT);
    expect([e.code, issueOf(e)?.expression]).toEqual(['ERR_INVALID_UTF8', ['item']]);
    expect(issueOf(e)?.diagnostics).toContain('line 3');
  });

  it('refuses more lines than maxItems, naming the first one over', () => {
    const e = refusal('{"a":1}\n{"a":2}\n{"a":3}\n', ND_CT, { maxItems: 2, maxDepth: 8 });
    expect([e.code, issueOf(e)?.expression]).toEqual(['ERR_JSON_TOO_MANY_ITEMS', ['item[2]']]);
    expect(issueOf(e)?.diagnostics).toContain('line 3');
  });
});

describe('parseIngestBody — size and depth limits (case 21)', () => {
  it('refuses 10,000-deep nesting at the limit, as a 400 and not a stack overflow', () => {
    const deep = `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const e = refusal(deep);
    expect(e.code).toBe('ERR_JSON_TOO_DEEP');
    expect(issueOf(e)?.expression?.[0]).toMatch(/^item\[0\]\.a(\[0\]){31}$/);
  });

  it('stays within the stack even at the highest allowed maxDepth', () => {
    const deep = `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    expect(refusal(deep, JSON_CT, { maxItems: 10, maxDepth: MAX_DEPTH_CAP }).code).toBe('ERR_JSON_TOO_DEEP');
    const atCap = `{"a":${'['.repeat(MAX_DEPTH_CAP - 1)}${']'.repeat(MAX_DEPTH_CAP - 1)}}`;
    expect(parseIngestBody(Buffer.from(atCap), JSON_CT, { maxItems: 10, maxDepth: MAX_DEPTH_CAP })).toHaveLength(1);
  });

  it('counts depth from the item, so JSON array and NDJSON bodies agree', () => {
    const twoDeep = '{"a":{"b":1}}';
    const tight = { maxItems: 10, maxDepth: 2 };
    expect(parseIngestBody(Buffer.from(`[${twoDeep}]`), JSON_CT, tight)).toHaveLength(1);
    expect(parseIngestBody(Buffer.from(twoDeep), ND_CT, tight)).toHaveLength(1);
    expect(refusal('[{"a":{"b":{}}}]', JSON_CT, tight).outcome.issue[0]?.expression).toEqual(['item[0].a.b']);
  });

  it('refuses an array of 100,000 elements beyond maxItems', () => {
    const body = `{"samples":[${new Array(100_000).fill('1').join(',')}]}`;
    const e = refusal(body, JSON_CT, { maxItems: 10_000, maxDepth: 8 });
    expect([e.code, issueOf(e)?.expression]).toEqual(['ERR_JSON_TOO_MANY_ITEMS', ['item[0].samples[10000]']]);
  });

  it('refuses more items than maxItems in a JSON array body', () => {
    const e = refusal('[{},{},{}]', JSON_CT, { maxItems: 2, maxDepth: 8 });
    expect([e.code, issueOf(e)?.expression]).toEqual(['ERR_JSON_TOO_MANY_ITEMS', ['item[2]']]);
  });

  it('accepts exactly maxItems elements', () => {
    const body = `{"samples":[${new Array(100).fill('1').join(',')}]}`;
    expect(parseIngestBody(Buffer.from(body), JSON_CT, { maxItems: 100, maxDepth: 8 })).toHaveLength(1);
  });

  it.each([
    [{ maxItems: 0, maxDepth: 8 }],
    [{ maxItems: 10, maxDepth: 0 }],
    [{ maxItems: 10, maxDepth: 100_000 }],
    [{ maxItems: 1.5, maxDepth: 8 }],
  ])('treats limits %p as a configuration error (TypeError, not a 400)', (bad) => {
    expect(() => parseIngestBody(Buffer.from('{}'), JSON_CT, bad)).toThrow(TypeError);
  });
});
