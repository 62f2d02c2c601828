import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Device, Observation, Resource } from 'fhir/r4';

/** The real mappings folder: its examples are what the devices send, its expected/ what the API must serve. */
export const MAPPINGS = join(__dirname, '..', '..', '..', 'mappings');

export const FAMILIES = ['pulse-oximeter', 'bp-cuff', 'thermometer', 'ecg-patch'] as const;
export type Family = (typeof FAMILIES)[number];

export interface Example {
  name: string;
  /** The file's exact text: a single-object request sends these bytes. */
  text: string;
  payload: unknown;
  /** expected/<name>.json as produced for the golden device `dev-<family>-1` and `Patient/example`. */
  expected: { device: Device; observations: Observation[] };
}

/** The examples of a family, in file-name order (the order the test sends them in). */
export function examplesOf(family: Family): Example[] {
  const dir = join(MAPPINGS, family, 'examples');
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    const expected = JSON.parse(readFileSync(join(MAPPINGS, family, 'expected', name), 'utf8')) as Example['expected'];
    return { name, text, payload: JSON.parse(text) as unknown, expected };
  });
}

/**
 * The expected output re-targeted to another registry device and patient. The golden files were produced
 * for `dev-<family>-1` / `Patient/example`; the device id is part of the Observation identifier
 * (`<device>/<message id or time>/<code>`), and Observation.id is the first 40 hex digits of its SHA-256
 * (src/mapping/observation-identity.ts) — recomputed here independently, as a client could.
 */
export function expectedFor(family: Family, example: Example, deviceId: string, patient: string): Example['expected'] {
  const text = JSON.stringify(example.expected)
    .split(`dev-${family}-1`).join(deviceId)
    .split('"Patient/example"').join(JSON.stringify(patient));
  const out = JSON.parse(text) as Example['expected'];
  for (const observation of out.observations) {
    const value = observation.identifier?.[0]?.value ?? '';
    observation.id = createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 40);
  }
  return out;
}

/** A stored resource without the server-assigned `meta.versionId` / `meta.lastUpdated`. */
export function withoutServerMeta<T extends Resource>(resource: T): T {
  const copy = structuredClone(resource);
  if (copy.meta) {
    delete copy.meta.versionId;
    delete copy.meta.lastUpdated;
    if (Object.keys(copy.meta).length === 0) delete copy.meta;
  }
  return copy;
}

/** NDJSON body: one compact JSON object per line. See: https://github.com/ndjson/ndjson-spec */
export function ndjson(payloads: readonly unknown[]): string {
  return payloads.map((p) => JSON.stringify(p)).join('\n') + '\n';
}
