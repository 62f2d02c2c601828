/** Public API of the MQTT ingest transport: the embedded broker, the external-broker client, and their pure parts. */
export { startMqtt, mqttSettings, type RunningMqtt } from './start-mqtt';
export { startEmbeddedBroker, type EmbeddedBrokerOptions, type RunningBroker } from './embedded-broker';
export { startExternalSubscriber, type RunningSubscriber } from './external-subscriber';
export { handleIngestMessage, type MessageVerdict, type ReceivedMessage } from './handle-ingest-message';
export { mqttAudience, TOKEN_ALLOWANCE_BYTES, type MqttDeps, type MqttSettings } from './mqtt-deps';
export { parseIngestTopic, outcomesTopic, sharedIngestFilter, type IngestTopic } from './topics';
export { splitMessage, bodyMediaType } from './split-message';
export type { OutcomeMessage } from './outcome-message';
