import { hostname } from 'node:os';
import { ConfigError, loadConfig } from '../../src/config';

const load = (env: NodeJS.ProcessEnv) => loadConfig(env, { cwd: '/srv', packageRoot: '/opt/iomt-bridge' });

function problems(env: NodeJS.ProcessEnv): Array<{ variable: string; reason: string }> {
  try {
    load(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return [...e.problems];
  }
  throw new Error('expected a ConfigError');
}

describe('IOMT_MQTT_*', () => {
  it('runs the embedded broker on 127.0.0.1:1884 by default (not 1883: a system Mosquitto may hold it)', () => {
    expect(load({}).mqtt).toEqual({ mode: 'embedded', host: '127.0.0.1', port: 1884, topicPrefix: 'iomt', maxInflight: 32, connectTimeoutMs: 10000 });
    expect(load({ IOMT_MQTT_PORT: '0', IOMT_MQTT_HOST: '0.0.0.0' }).mqtt).toMatchObject({ port: 0, host: '0.0.0.0' });
  });

  it('is absent with IOMT_MQTT=off', () => {
    expect(load({ IOMT_MQTT: 'off' }).mqtt).toBeUndefined();
  });

  it('resolves an external broker, with a client id derived from the share group and host', () => {
    expect(load({ IOMT_MQTT: 'external', IOMT_MQTT_URL: 'mqtts://broker.example.org:8883', IOMT_MQTT_USERNAME: 'bridge', IOMT_MQTT_PASSWORD: 's3cret', IOMT_MQTT_SHARE_GROUP: 'ward-a', IOMT_MQTT_TOPIC_PREFIX: 'site/b' }).mqtt).toEqual({
      mode: 'external', url: 'mqtts://broker.example.org:8883', username: 'bridge', password: 's3cret', shareGroup: 'ward-a', topicPrefix: 'site/b', sessionExpiryS: 604800,
      clientId: `ward-a-${hostname()}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64), maxInflight: 32, connectTimeoutMs: 10000,
    });
  });

  it.each([
    [{ IOMT_MQTT: 'cloud' }, 'IOMT_MQTT', 'must be one of embedded, external, off'],
    [{ IOMT_MQTT_PORT: '70000' }, 'IOMT_MQTT_PORT', 'must be <= 65535'],
    [{ IOMT_MQTT: 'external' }, 'IOMT_MQTT_URL', 'is required with IOMT_MQTT=external'],
    [{ IOMT_MQTT: 'external', IOMT_MQTT_URL: 'http://broker:1883' }, 'IOMT_MQTT_URL', 'must be an mqtt:// or mqtts:// URL'],
    [{ IOMT_MQTT: 'external', IOMT_MQTT_URL: 'mqtt://u:p@broker:1883' }, 'IOMT_MQTT_URL', 'must not contain credentials'],
    [{ IOMT_MQTT: 'external', IOMT_MQTT_URL: 'mqtt://broker:1883/x' }, 'IOMT_MQTT_URL', 'must not have a path'],
    [{ IOMT_MQTT: 'external', IOMT_MQTT_URL: 'mqtt://broker', IOMT_MQTT_PASSWORD: 'x' }, 'IOMT_MQTT_PASSWORD', 'needs IOMT_MQTT_USERNAME'],
    [{ IOMT_MQTT_URL: 'mqtt://broker:1883' }, 'IOMT_MQTT_URL', 'is only used with IOMT_MQTT=external'],
    [{ IOMT_MQTT_TOPIC_PREFIX: 'a/+/b' }, 'IOMT_MQTT_TOPIC_PREFIX', 'must match pattern'],
    [{ IOMT_MQTT_TOPIC_PREFIX: '$SYS' }, 'IOMT_MQTT_TOPIC_PREFIX', 'must match pattern'],
    [{ IOMT_MQTT: 'external', IOMT_MQTT_URL: 'mqtt://b', IOMT_MQTT_SHARE_GROUP: 'a/b' }, 'IOMT_MQTT_SHARE_GROUP', 'must match pattern'],
    [{ IOMT_MQTT_MAX_INFLIGHT: '0' }, 'IOMT_MQTT_MAX_INFLIGHT', 'must be >= 1'],
  ])('stops start-up on %j, naming %s', (env, variable, reason) => {
    expect(problems(env)).toEqual([{ variable, reason: expect.stringContaining(reason) }]);
  });
});
