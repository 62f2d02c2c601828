/**
 * The bridge's MQTT topic tree (pure):
 *   `<prefix>/devices/{deviceId}/ingest`               readings, the mappings' match rules pick
 *   `<prefix>/devices/{deviceId}/ingest/{mappingId}`   readings for one mapping
 *   `<prefix>/devices/{deviceId}/outcomes`             the bridge's answer to each of them
 * Topic names are case-sensitive UTF-8 strings whose levels are separated by `/`.
 * See: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718106 (§4.7 Topic Names and Topic Filters)
 */

/** Where an ingest message was published: the device the topic names, and the mapping if it names one. */
export interface IngestTopic {
  deviceId: string;
  mappingId?: string;
}

/** Device ids as the registry allows them (src/store/sqlite/device-registry.ts): never `+`, `#`, `/` or `$`. */
export const DEVICE_ID = /^[A-Za-z0-9\-.]{1,64}$/;
/** Mapping ids are file names: the same safe alphabet. */
const MAPPING_ID = /^[A-Za-z0-9_\-.]{1,128}$/;

/**
 * The device and mapping an ingest topic names, or undefined when it is not one of ours (another level count,
 * another prefix, a malformed id).
 * @example parseIngestTopic('iomt', 'iomt/devices/bp-01/ingest/bp-cuff') // { deviceId: 'bp-01', mappingId: 'bp-cuff' }
 */
export function parseIngestTopic(prefix: string, topic: string): IngestTopic | undefined {
  if (!topic.startsWith(`${prefix}/devices/`)) return undefined;
  const levels = topic.slice(prefix.length + '/devices/'.length).split('/');
  const [deviceId = '', ingest, mappingId] = levels;
  if (ingest !== 'ingest' || levels.length > 3 || !DEVICE_ID.test(deviceId)) return undefined;
  if (mappingId === undefined) return { deviceId };
  return MAPPING_ID.test(mappingId) ? { deviceId, mappingId } : undefined;
}

/** The device id in the topic of any of our per-device topics (for addressing an answer), or undefined. */
export function deviceOfTopic(prefix: string, topic: string): string | undefined {
  if (!topic.startsWith(`${prefix}/devices/`)) return undefined;
  const deviceId = topic.slice(prefix.length + '/devices/'.length).split('/')[0] ?? '';
  return DEVICE_ID.test(deviceId) ? deviceId : undefined;
}

/** Where the bridge answers a device. */
export const outcomesTopic = (prefix: string, deviceId: string): string => `${prefix}/devices/${deviceId}/outcomes`;

/**
 * The subscription of a bridge on an external broker: every device's ingest topics, load-balanced across the
 * bridges of one share group. `#` also matches its parent level, so `…/ingest` itself is included: one
 * filter, and no message matches two of our subscriptions (which would deliver it twice).
 * See: https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html#_Toc3901250 (§4.8.2 Shared Subscriptions)
 * and §4.7.1.2 (`sport/#` also matches `sport`).
 */
export const sharedIngestFilter = (group: string, prefix: string): string => `$share/${group}/${prefix}/devices/+/ingest/#`;
