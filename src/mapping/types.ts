import type { Device, Observation } from 'fhir/r4';

/**
 * Contract of the mapping stage (pure: no I/O, no config, no Hapi).
 * Loading files from disk happens in src/mapping/load.ts (the only module here allowed to use node:fs).
 */

/** What the authenticated transport knows about the sender; never taken from the payload. */
export interface DeviceContext {
  /** Registry id of the authenticated device (the JWT `iss`). */
  deviceId: string;
  /** `Patient/ID` linked in the registry, if any. */
  patient?: string;
}

export interface MapInput {
  /** One item of an ingest request (one JSON object). */
  payload: unknown;
  device: DeviceContext;
  /** FHIRPath-ish prefix for issue expressions about this item, e.g. `item[3]`. */
  location?: string;
}

export interface MapOutput {
  device: Device;
  observations: Observation[];
}

export interface CompiledMapping {
  readonly id: string;
  readonly title: string;
  /** File the mapping was compiled from (for error messages). */
  readonly source: string;
  /** True when this mapping's match rule accepts the payload. */
  matches(payload: unknown): boolean;
  /** Map one payload item. Throws FhirError (422, issues with `expression`) when it cannot. */
  map(input: MapInput): MapOutput;
}
