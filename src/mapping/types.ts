import type { Device, Observation } from 'fhir/r4';
import type { Trace } from './trace';

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

/** What the transport knows about how a payload arrived, for `match: { topic: … }` rules. */
export interface MatchContext {
  /** MQTT topic the payload was published on. */
  topic?: string;
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
  /** `iomt` (our mapping language, the default) or `medtech` (a MedTech template pair). */
  readonly kind?: 'iomt' | 'medtech';
  /** Problems found at load that do not stop it (`<file>:<line>: …`), e.g. a MedTech unit that is not UCUM. */
  readonly warnings?: readonly string[];
  /** True when this mapping's match rule accepts the payload. */
  matches(payload: unknown, context?: MatchContext): boolean;
  /**
   * Map one payload item. Throws FhirError (422, issues with `expression`) when it cannot.
   * With `trace`, every step (expressions and results, conversions, produced resources) is appended to it:
   * the debugger runs this very function.
   */
  map(input: MapInput, trace?: Trace): MapOutput;
}
