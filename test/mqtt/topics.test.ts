import { deviceOfTopic, outcomesTopic, parseIngestTopic, sharedIngestFilter } from '../../src/mqtt/topics';

describe('parseIngestTopic', () => {
  it.each([
    ['iomt/devices/bp-01/ingest', { deviceId: 'bp-01' }],
    ['iomt/devices/bp-01/ingest/bp-cuff', { deviceId: 'bp-01', mappingId: 'bp-cuff' }],
    ['iomt/devices/a.b-9/ingest/x_y.z', { deviceId: 'a.b-9', mappingId: 'x_y.z' }],
  ])('reads %s', (topic, expected) => {
    expect(parseIngestTopic('iomt', topic)).toEqual(expected);
  });

  it.each([
    'iomt/devices/bp-01/outcomes', 'iomt/devices/bp-01/ingest/a/b', 'iomt/devices/bp-01', 'iomt/devices//ingest',
    'other/devices/bp-01/ingest', 'iomt/devices/+/ingest', 'iomt/devices/#/ingest', 'iomt/devices/bp-01/ingest/',
    'iomt/devices/bp-01/ingest/+', 'iomtx/devices/bp-01/ingest', '$SYS/devices/bp-01/ingest', `iomt/devices/${'a'.repeat(65)}/ingest`,
  ])('refuses %s', (topic) => {
    expect(parseIngestTopic('iomt', topic)).toBeUndefined();
  });

  it('works under a multi-level prefix', () => {
    expect(parseIngestTopic('site/a', 'site/a/devices/d1/ingest')).toEqual({ deviceId: 'd1' });
    expect(parseIngestTopic('site/a', 'site/b/devices/d1/ingest')).toBeUndefined();
  });
});

describe('the other topics', () => {
  it('names the outcomes topic and the shared subscription (one filter: # matches the parent level too)', () => {
    expect(outcomesTopic('iomt', 'bp-01')).toBe('iomt/devices/bp-01/outcomes');
    expect(sharedIngestFilter('g1', 'iomt')).toBe('$share/g1/iomt/devices/+/ingest/#');
    expect(deviceOfTopic('iomt', 'iomt/devices/bp-01/ingest/x/y')).toBe('bp-01');
    expect(deviceOfTopic('iomt', 'iomt/devices/+/ingest')).toBeUndefined();
  });
});
