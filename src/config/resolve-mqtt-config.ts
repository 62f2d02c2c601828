import { hostname } from 'node:os';
import type { MqttConfig } from './config';
import type { ConfigProblem } from './config-error';
import { refuseUnused, valueOr } from './config-values';

const EXTERNAL_ONLY = ['IOMT_MQTT_URL', 'IOMT_MQTT_USERNAME', 'IOMT_MQTT_PASSWORD', 'IOMT_MQTT_CLIENT_ID', 'IOMT_MQTT_SHARE_GROUP', 'IOMT_MQTT_SESSION_EXPIRY_S'];
const CLIENT_ID = /[^A-Za-z0-9._-]/g;

/**
 * The IOMT_MQTT_* variables: undefined with IOMT_MQTT=off; the embedded broker by default; an external broker
 * needs IOMT_MQTT_URL (mqtt: or mqtts:). Settings of the external client given in another mode are a mistake
 * worth stopping for (like the IOMT_EHR_* ones without a base URL).
 */
export function resolveMqttConfig(values: ReadonlyMap<string, unknown>, problems: ConfigProblem[]): MqttConfig | undefined {
  const get = valueOr(values);
  const mode = get<'embedded' | 'external' | 'off'>('IOMT_MQTT', 'embedded');
  if (mode !== 'external') refuseUnused(values, EXTERNAL_ONLY, 'IOMT_MQTT=external', problems);
  if (mode === 'off') return undefined;
  const common = {
    topicPrefix: get('IOMT_MQTT_TOPIC_PREFIX', 'iomt'),
    maxInflight: get('IOMT_MQTT_MAX_INFLIGHT', 32),
    connectTimeoutMs: get('IOMT_MQTT_CONNECT_TIMEOUT_MS', 10_000),
  };
  if (mode === 'embedded') return { mode, host: get('IOMT_MQTT_HOST', '127.0.0.1'), port: get('IOMT_MQTT_PORT', 1884), ...common };
  const url = values.get('IOMT_MQTT_URL') as string | undefined;
  if (url === undefined) problems.push({ variable: 'IOMT_MQTT_URL', reason: 'is required with IOMT_MQTT=external' });
  else checkBrokerUrl(url, problems);
  const shareGroup = get('IOMT_MQTT_SHARE_GROUP', 'iomt-bridge');
  const config: MqttConfig = {
    mode, url: url ?? '', shareGroup, sessionExpiryS: get('IOMT_MQTT_SESSION_EXPIRY_S', 604_800), clientId: get('IOMT_MQTT_CLIENT_ID', `${shareGroup}-${hostname()}`.replace(CLIENT_ID, '-').slice(0, 64)), ...common,
  };
  const username = values.get('IOMT_MQTT_USERNAME') as string | undefined;
  const password = values.get('IOMT_MQTT_PASSWORD') as string | undefined;
  if (username !== undefined) config.username = username;
  if (password !== undefined) config.password = password;
  if (password !== undefined && username === undefined) problems.push({ variable: 'IOMT_MQTT_PASSWORD', reason: 'needs IOMT_MQTT_USERNAME' });
  return config;
}

/** mqtt: or mqtts:, a host, no path, query or credentials (those go in IOMT_MQTT_USERNAME / _PASSWORD). */
function checkBrokerUrl(value: string, problems: ConfigProblem[]): void {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const reason = url === undefined || (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') ? `must be an mqtt:// or mqtts:// URL, got '${value}'`
    : url.hostname === '' ? 'must name a host'
      : url.username !== '' || url.password !== '' ? 'must not contain credentials (use IOMT_MQTT_USERNAME and IOMT_MQTT_PASSWORD)'
        : (url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '' ? 'must not have a path, query or fragment' : undefined;
  if (reason !== undefined) problems.push({ variable: 'IOMT_MQTT_URL', reason });
}
