import { compileExpression, ExpressionSyntaxError } from '../../../src/mapping/expr/expression';

const search = (text: string, data: unknown) => {
  const out = compileExpression(text, 'jmespath').select({ root: data, current: data, currentLoc: '' });
  return out.length === 0 ? null : out[0]?.value;
};

describe('JMESPath with MedTech custom functions', () => {
  it.each([
    ['multiply(to_number(matchedToken.height), `0.0254`)', { matchedToken: { height: '78' } }, 78 * 0.0254],
    ['add(a, `2`)', { a: 3 }, 5],
    ['subtract(a, `0.5`)', { a: 3 }, 2.5],
    ['divide(`7`, `2`)', {}, 3],
    ['divide(`7.5`, `2.5`)', {}, 3],
    ['pow(`2`, `10`)', {}, 1024],
    ["insertString('20240514', '-', `4`)", {}, '2024-0514'],
    ["insertString(t, 'Z', length(t))", { t: '2024-05-14T09:30:00' }, '2024-05-14T09:30:00Z'],
    ['fromUnixTimestamp(ts)', { ts: 1715678400 }, '2024-05-14T09:20:00Z'],
    ['fromUnixTimestampMs(ts)', { ts: 1715678400250 }, '2024-05-14T09:20:00.25Z'],
    ['readings[?type==`"hr"`].value | [0]', { readings: [{ type: 'spo2', value: 97 }, { type: 'hr', value: 61 }] }, 61],
    ['readings[*].value', { readings: [{ value: 1 }, { x: 2 }, { value: 3 }] }, [1, 3]],
    ['max_by(r, &v).v', { r: [{ v: 1 }, { v: 9 }, { v: 3 }] }, 9],
    ['{s: a, d: b}', { a: 1, b: 2 }, { s: 1, d: 2 }],
    ['a || b', { b: 'x' }, 'x'],
    ['length(@)', [1, 2, 3], 3],
    ['__proto__', {}, null],
  ])('%s', (text, data, expected) => {
    expect(search(text, data)).toEqual(expected);
  });

  it.each(['nope(a)', 'add(a)', 'a[', 'insertString(a, b)'])('refuses %s at load', (text) => {
    expect(() => compileExpression(text, 'jmespath')).toThrow(ExpressionSyntaxError);
  });

  it.each([
    ['divide(`1`, `0`)', /no finite result/],
    ["add('1', `2`)", /argument 1 must be number, got string/],
    ["insertString('ab', 'x', `5`)", /outside/],
    ['fromUnixTimestamp(`1.5`)', /integer/],
  ])('fails at run time with a reason: %s', (text, reason) => {
    expect(() => search(text, {})).toThrow(reason);
  });
});
