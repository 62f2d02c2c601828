import type { AuditEvent, Device, Observation, Resource } from 'fhir/r4';

/**
 * The storage port. The SQLite adapter (embedded default) implements it; a PostgreSQL adapter will too,
 * without touching the stages. All methods are async so a networked database fits.
 */

export interface RegisteredDevice {
  id: string;
  /** Public JWK (ES256) used to verify the device's ingest tokens. */
  publicJwk: Record<string, unknown>;
  /** `Patient/ID` or undefined. */
  patient?: string;
  status: 'active' | 'revoked';
  createdAt: string;
  revokedAt?: string;
}

export interface OutboxEntry {
  resourceType: string;
  resourceId: string;
  versionId: string;
  deviceId: string;
}

export interface IngestCommit {
  deviceId: string;
  /** Device JWT id; recorded in the same transaction (replays are then recognised). */
  jti: string;
  /** Expiry of the device JWT (epoch seconds); jti rows can be pruned after it. */
  jtiExpiresAt: number;
  resources: Array<Device | Observation>;
  audit: AuditEvent;
}

export interface StoredRef {
  reference: string; // `Observation/abc`
  created: boolean; // false: identical resource already stored (deterministic id), nothing written
  /** Current version after the commit (the new one, or the stored one when nothing was written). */
  versionId?: string;
}

export interface IngestResult {
  written: StoredRef[];
}

export type SortOrder = 'date' | '-date';

/** A date bound in epoch milliseconds, produced by src/fhir from a `date` search parameter. */
export interface DateBound {
  prefix: 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';
  /** Start (inclusive) and end (exclusive) of the parameter's implied range. */
  start: number;
  end: number;
}

export interface TokenParam {
  system?: string;
  code: string;
}

export interface ObservationQuery {
  /** `Patient/ID` values (OR). */
  subject?: string[];
  device?: string[];
  /** Each inner array is an OR-list; outer entries AND. */
  code?: TokenParam[][];
  category?: TokenParam[][];
  date?: DateBound[];
  sort?: SortOrder;
  count: number;
  offset: number;
}

export interface DeviceQuery {
  identifier?: TokenParam[][];
  patient?: string[];
  count: number;
  offset: number;
}

export interface SearchPage<T extends Resource> {
  total: number;
  resources: T[];
}

export interface AuditRecord {
  seq: number;
  event: AuditEvent;
  hash: string;
  prevHash: string;
}

export interface Store {
  // Device registry
  addDevice(device: { id: string; publicJwk: Record<string, unknown>; patient?: string }): Promise<RegisteredDevice>;
  getDevice(id: string): Promise<RegisteredDevice | undefined>;
  listDevices(): Promise<RegisteredDevice[]>;
  revokeDevice(id: string): Promise<RegisteredDevice | undefined>;

  /** True when this device JWT id has already been used in a committed ingest. */
  hasJti(deviceId: string, jti: string): Promise<boolean>;

  /**
   * ONE transaction: resources (new version only when content changed), an outbox row per written
   * resource, the jti, and the audit entry. Throws FhirError 409 (ERR_JTI_REPLAYED) if the jti was
   * committed concurrently. Nothing is written when it throws.
   */
  commitIngest(commit: IngestCommit): Promise<IngestResult>;

  /** Audit entry on its own (rejected requests, API access). */
  appendAudit(event: AuditEvent): Promise<void>;
  /** Entries in ascending seq order; `afterSeq` pages through the chain from the start. */
  listAudit(options?: { limit?: number; afterSeq?: number }): Promise<AuditRecord[]>;

  read(resourceType: 'Device' | 'Observation', id: string): Promise<Resource | undefined>;
  searchObservations(query: ObservationQuery): Promise<SearchPage<Observation>>;
  searchDevices(query: DeviceQuery): Promise<SearchPage<Device>>;

  /** Count of rows per table, for tests and `/metrics`. */
  counts(): Promise<{ resources: number; outbox: number; audit: number; jti: number }>;

  /** True if the database answers (readiness probe). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
