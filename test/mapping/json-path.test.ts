import { compileJsonPath, joinLocation, JsonPathSyntaxError } from '../../src/mapping/json-path';

describe('compileJsonPath (safe subset of RFC 9535)', () => {
  const doc = { a: { b: [10, 20, { c: 'deep' }] }, 'odd key': 1, "it's": 2, list: [1, 2, 3], nul: null };

  it.each([
    ['$', doc],
    ['$.a.b[0]', 10],
    ['$.a.b[2].c', 'deep'],
    ["$['odd key']", 1],
    ['$["odd key"]', 1],
    ["$['it\\'s']", 2],
    ["$['\\u0061'].b[1]", 20],
    ['$.list[-1]', 3],
    ['$.list[3]', undefined],
    ['$.list[-4]', undefined],
    ['$.missing.deeper', undefined],
    ['$.a.b.c', undefined], // a name step on an array selects nothing
    ['$.list.length', undefined], // no JavaScript properties of arrays
    ['$.a[0]', undefined], // an index step on an object selects nothing
    ['$.nul', null],
  ])('%s selects %p', (path, expected) => {
    expect(compileJsonPath(path).get(doc)).toEqual(expected);
  });

  it('never follows the prototype chain', () => {
    for (const p of ['$.__proto__', '$.constructor', '$.toString', "$['__proto__'].polluted", '$.hasOwnProperty']) {
      expect(compileJsonPath(p).get({})).toBeUndefined();
    }
    const own = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
    expect(compileJsonPath('$.__proto__.x').get(own)).toBe(1);
  });

  it.each([
    ['', 0],
    ['a.b', 0],
    ['$.', 2],
    ['$..a', 2],
    ['$.*', 2],
    ['$[*]', 1],
    ['$[?(@.a)]', 1],
    ['$.a[01]', 3],
    ["$['open", 1],
    ["$['bad\\q']", 6],
    ['$.a-b', 3],
    ['$.a b', 3],
    ['$[1:2]', 1],
  ])('rejects %p with a position', (path, index) => {
    expect(() => compileJsonPath(path)).toThrow(JsonPathSyntaxError);
    try {
      compileJsonPath(path);
    } catch (e) {
      expect((e as JsonPathSyntaxError).index).toBe(index);
    }
  });

  it.each([
    ['$', ''],
    ['$.device.serial', 'device.serial'],
    ['$[0].hr', '[0].hr'],
    ["$['msg-id']", '`msg-id`'],
    ['$.a[2]', 'a[2]'],
  ])('renders %s as FHIRPath-like location %p', (path, location) => {
    expect(compileJsonPath(path).location).toBe(location);
  });

  it('joins item locations and payload locations', () => {
    expect(joinLocation('item[2]', 'spo2')).toBe('item[2].spo2');
    expect(joinLocation('item[2]', '[0].hr')).toBe('item[2][0].hr');
    expect(joinLocation('item[2]', '')).toBe('item[2]');
    expect(joinLocation(undefined, 'spo2')).toBe('spo2');
    expect(joinLocation(undefined, '')).toBe('$this');
  });
});
