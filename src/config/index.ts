/** Configuration: `IOMT_*` environment variables and an optional JSON file, validated once at start-up. */
export { loadConfig, withListeningPort, type LoadConfigOptions } from './load-config';
export type { Config, EhrConfig, JwsAlgorithm, LogLevel, MqttConfig, EmbeddedMqttConfig, ExternalMqttConfig, TlsConfig } from './config';
export { ConfigError, type ConfigProblem } from './config-error';
export { CONFIG_VARIABLES, type ConfigVariable } from './config-variables';
export { readTlsCredentials, type TlsCredentials } from './read-tls-credentials';
export { renderConfigurationDoc, renderConfigurationTable } from './render-configuration-doc';
