import { CONNACK, checkConnect, checkPublish, mayForward, maySubscribe } from '../../src/mqtt/acl';

const ok = { clientId: 'bp-01', username: 'bp-01', hasPassword: true, hasWill: false };

describe('checkConnect (SECURITY-CASES 38, 39, 42)', () => {
  it('accepts client id = username = a device id, with a password and no will', () => {
    expect(checkConnect(ok)).toBeUndefined();
  });

  it.each([
    [{ clientId: '' }, 'ERR_MQTT_CLIENT_ID_EMPTY', CONNACK.IDENTIFIER_REJECTED],
    [{ clientId: '#', username: '#' }, 'ERR_MQTT_CLIENT_ID_INVALID', CONNACK.IDENTIFIER_REJECTED],
    [{ clientId: '+', username: '+' }, 'ERR_MQTT_CLIENT_ID_INVALID', CONNACK.IDENTIFIER_REJECTED],
    [{ clientId: 'a/b' }, 'ERR_MQTT_CLIENT_ID_INVALID', CONNACK.IDENTIFIER_REJECTED],
    [{ clientId: '$SYS' }, 'ERR_MQTT_CLIENT_ID_INVALID', CONNACK.IDENTIFIER_REJECTED],
    [{ username: undefined }, 'ERR_MQTT_CREDENTIALS_MISSING', CONNACK.BAD_USERNAME_OR_PASSWORD],
    [{ hasPassword: false }, 'ERR_MQTT_CREDENTIALS_MISSING', CONNACK.BAD_USERNAME_OR_PASSWORD],
    [{ username: 'victim' }, 'ERR_MQTT_CLIENT_ID_MISMATCH', CONNACK.IDENTIFIER_REJECTED],
    [{ hasWill: true }, 'ERR_MQTT_WILL_REFUSED', CONNACK.NOT_AUTHORIZED],
  ])('refuses %j with %s', (change, code, returnCode) => {
    expect(checkConnect({ ...ok, ...change })).toMatchObject({ code, returnCode });
  });
});

describe('checkPublish (SECURITY-CASES 37, 42)', () => {
  it('lets a device publish to its own ingest topics only, never retained', () => {
    expect(checkPublish('iomt', 'bp-01', { topic: 'iomt/devices/bp-01/ingest', retain: false })).toBeUndefined();
    expect(checkPublish('iomt', 'bp-01', { topic: 'iomt/devices/bp-01/ingest/bp-cuff', retain: false })).toBeUndefined();
    for (const topic of ['iomt/devices/bp-02/ingest', 'iomt/devices/bp-01/outcomes', 'iomt/devices/bp-01', 'other/devices/bp-01/ingest', '$SYS/x']) {
      expect(checkPublish('iomt', 'bp-01', { topic, retain: false })).toMatchObject({ code: 'ERR_MQTT_TOPIC_FORBIDDEN' });
    }
    expect(checkPublish('iomt', 'bp-01', { topic: 'iomt/devices/bp-01/ingest', retain: true })).toMatchObject({ code: 'ERR_MQTT_RETAIN_REFUSED' });
  });
});

describe('maySubscribe / mayForward (SECURITY-CASES 36)', () => {
  it('allows only the exact own outcomes topic', () => {
    expect(maySubscribe('iomt', 'bp-01', 'iomt/devices/bp-01/outcomes')).toBe(true);
    for (const filter of ['#', '+/devices/bp-01/outcomes', '$SYS/#', 'iomt/#', 'iomt/devices/+/outcomes', 'iomt/devices/bp-02/outcomes', 'iomt/devices/bp-01/ingest', 'iomt/devices/bp-01/outcomes/#']) {
      expect(maySubscribe('iomt', 'bp-01', filter)).toBe(false);
    }
    expect(mayForward('iomt', 'bp-01', 'iomt/devices/bp-01/outcomes')).toBe(true);
    expect(mayForward('iomt', 'bp-01', 'iomt/devices/bp-01/ingest')).toBe(false);
  });
});
