import { compileExpression, ExpressionSyntaxError } from '../../../src/mapping/expr/expression';

const run = (text: string, root: unknown) =>
  compileExpression(text, 'jsonpath').select({ root, current: root, currentLoc: '' }).map((s) => [s.loc, s.value]);

const envelope = {
  Body: { heartrate: '78', deviceid: 'd1', data: [{ systolic: 120, diastolic: 80 }, { systolic: 122, diastolic: null }, { steps: 3 }] },
  Properties: { 'iothub-creation-time-utc': '2019-01-30T22:45:02Z' },
  SystemProperties: { 'iothub-connection-device-id': 'ev-1' },
};

describe('JSONPath queries (Newtonsoft SelectTokens dialect)', () => {
  it.each([
    ['$.Body.heartrate', [['Body.heartrate', '78']]],
    ['Body.deviceid', [['Body.deviceid', 'd1']]],
    ['$.SystemProperties.iothub-connection-device-id', [['SystemProperties.`iothub-connection-device-id`', 'ev-1']]],
    ["$['Properties']['iothub-creation-time-utc']", [['Properties.`iothub-creation-time-utc`', '2019-01-30T22:45:02Z']]],
    ['$..[?(@heartrate)].deviceid', [['Body.deviceid', 'd1']]],
    ['$..[?(@systolic && @diastolic)].systolic', [['Body.data[0].systolic', 120], ['Body.data[1].systolic', 122]]],
    ['$.Body.data[?(@.systolic > 121)].systolic', [['Body.data[1].systolic', 122]]],
    ['$.Body.data[?(@.systolic == 120 || @.steps)]', [['Body.data[0]', { systolic: 120, diastolic: 80 }], ['Body.data[2]', { steps: 3 }]]],
    ["$.Body[?(@.deviceid == 'd1')]", []],
    ['$.Body.data[*].steps', [['Body.data[2].steps', 3]]],
    ['$.Body.data[-1].steps', [['Body.data[2].steps', 3]]],
    ['$.Body.data[0,2].steps', [['Body.data[2].steps', 3]]],
    ['$.Body.data[1:].systolic', [['Body.data[1].systolic', 122]]],
    ['$..systolic', [['Body.data[0].systolic', 120], ['Body.data[1].systolic', 122]]],
    ["$..[?(@.deviceid =~ /^D\\d$/i)].heartrate", [['Body.heartrate', '78']]],
    ['$.Body.__proto__', []],
  ])('%s', (text, expected) => {
    expect(run(text, envelope)).toEqual(expected);
  });

  it('treats a property holding null as existing (Newtonsoft), "1" as different from 1', () => {
    expect(run('$..[?(@diastolic)].systolic', envelope)).toHaveLength(2);
    expect(run("$.a[?(@.v == '1')]", { a: [{ v: 1 }, { v: '1' }] })).toEqual([['a[1]', { v: '1' }]]);
    expect(run('$.a[?(@.v == 1.0)]', { a: [{ v: 1 }] })).toHaveLength(1);
  });

  it.each(['$.a[', '$.a[?(@.x ==)]', "$.a['x", '$.a[1:2:0]', '$.a[?(@.x =~ /(/)]', '$.'])('refuses %s at compile time', (text) => {
    expect(() => compileExpression(text, 'jsonpath')).toThrow(ExpressionSyntaxError);
  });

  it('names a static location for issues', () => {
    expect(compileExpression('$.a.b[0]', 'jsonpath').where).toBe('a.b[0]');
    expect(compileExpression('@.v', 'jsonpath').where).toBe('@.v');
    expect(compileExpression('$..x', 'jsonpath').where).toBe('');
  });
});
