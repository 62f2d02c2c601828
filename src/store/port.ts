import type { AuditEvent, Device, Observation, Resource } from 'fhir/r4';

/**
 * The storage port. The SQLite adapter (embedded default) and the PostgreSQL adapter implement it,
 * without touching the stages. All methods are async so a networked database fits.
 */

export interface RegisteredDevice {
  id: string;
  /** Public JWK (ES256) used to verify the device's ingest tokens; absent for a certificate-only device. */
  publicJwk?: Record<string, unknown>;
  /**
   * SHA-256 thumbprint of the device's mTLS client certificate (base64url of the hash of its DER, as JWK
   * `x5t#S256`, RFC 7517 §4.9); absent for a JWT-only device. The thumbprint, never a subject name, identifies it.
   */
  certThumbprint?: string;
  /** `Patient/ID` or undefined. */
  patient?: string;
  status: 'active' | 'revoked';
  createdAt: string;
  revokedAt?: string;
}

/** What {@link Store.addDevice} registers. */
export interface NewDevice {
  id: string;
  publicJwk?: Record<string, unknown>;
  certThumbprint?: string;
  patient?: string;
}

/** Result of {@link Store.linkDevice}. */
export interface LinkedDevice {
  deviceId: string;
  patient: string;
  /** False when the device was already linked to this patient (nothing written). */
  created: boolean;
  /** The Device resource version written. */
  versionId?: string;
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
  /** Absent for a device authenticated by client certificate (no token): nothing is recorded, replays are resends. */
  jti?: string;
  /** Expiry of the device JWT (epoch seconds); jti rows can be pruned after it. Set whenever `jti` is. */
  jtiExpiresAt?: number;
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

export interface Store extends OutboxStore {
  // Device registry
  /** At least one credential: `publicJwk` and/or `certThumbprint` (unique among devices). */
  addDevice(device: NewDevice): Promise<RegisteredDevice>;
  getDevice(id: string): Promise<RegisteredDevice | undefined>;
  /** The device registered with this client certificate thumbprint (see {@link RegisteredDevice.certThumbprint}). */
  getDeviceByThumbprint(thumbprint: string): Promise<RegisteredDevice | undefined>;
  listDevices(): Promise<RegisteredDevice[]>;
  revokeDevice(id: string): Promise<RegisteredDevice | undefined>;
  /**
   * Links an unassigned registered device to `patient` (`Patient/ID`), in ONE transaction with a new
   * version of the Device resource carrying `patient`, its outbox row and `audit`. Linking again to the
   * same patient writes nothing. Throws FhirError: 404 unknown device, 409 ERR_DEVICE_ALREADY_LINKED (to
   * another patient) or ERR_DEVICE_REVOKED, 400 ERR_DEVICE_PATIENT_INVALID. Nothing is written when it throws.
   */
  linkDevice(deviceId: string, patient: string, audit: AuditEvent): Promise<LinkedDevice>;

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

// ---- Delivery (issue 6): the outbox as a work queue, the dead letter, and the disclosure accounting ----

/** `pending` waits (or is leased) for delivery; `delivered` reached the EHR; `dead` needs a person (replay). */
export type OutboxStatus = 'pending' | 'delivered' | 'dead';

/** One outbox row with its delivery state. Times are ISO strings. */
export interface OutboxRecord extends OutboxEntry {
  seq: number;
  createdAt: string;
  status: OutboxStatus;
  attempts: number;
  /** Not before this time (ISO) is a pending entry tried again. */
  nextAttemptAt?: string;
  /** Stable code and text of the last failure. */
  lastError?: string;
  /** The EHR's answer to the last failed or final attempt (kept for the dead letter), truncated. */
  ehrResponse?: string;
  deliveredAt?: string;
  /** `Type/id` the EHR gave the resource (from its answer, only when inside the EHR base). */
  ehrReference?: string;
}

/** A leased entry and the exact resource version it names. */
export interface ClaimedEntry {
  record: OutboxRecord;
  resource: Device | Observation;
}

export interface ClaimOutboxOptions {
  /** Who holds the lease (for diagnostics; a lease ends by time, so a killed process's work is taken over). */
  owner: string;
  /** Epoch ms. */
  now: number;
  leaseMs: number;
  /** Most entries in the batch (a device's run is never split across two concurrent batches). */
  maxEntries: number;
}

/** How one delivery attempt ended for some entries; `audit` is the disclosure entry written in the same transaction. */
export interface DeliveryOutcome {
  delivered?: Array<{ seq: number; ehrReference?: string }>;
  retry?: { seqs: number[]; nextAttemptAt: number; error: string; ehrResponse?: string };
  dead?: Array<{ seq: number; error: string; ehrResponse?: string }>;
  /** Epoch ms. */
  now: number;
  audit?: { event: AuditEvent; patients: string[] };
}

export interface OutboxSummary {
  pending: number;
  /** Pending entries currently leased by a worker. */
  inFlight: number;
  delivered: number;
  dead: number;
  /** `createdAt` of the oldest pending entry. */
  oldestPendingAt?: string;
}

export interface OutboxStore {
  /**
   * Leases the next batch: for each device in order of its oldest pending entry — skipped while that head
   * entry waits for a retry or is leased (delivery stays ordered per device) — its run of pending entries,
   * until `maxEntries`. Returns [] when nothing is due.
   */
  claimOutbox(options: ClaimOutboxOptions): Promise<ClaimedEntry[]>;
  /** Records an attempt's outcome (delivered / retry later / dead letter) and its disclosure audit, in ONE transaction. */
  recordDelivery(outcome: DeliveryOutcome): Promise<void>;
  /**
   * Back to pending, due now, attempts reset: dead entries (`which: 'dead'`), or dead and delivered ones
   * (`'all'`: resend, safe as delivery is idempotent), optionally only `seqs`. Returns how many. Audited.
   */
  replayOutbox(options: { which: 'dead' | 'all'; seqs?: number[]; now: number; audit: AuditEvent }): Promise<number>;
  /** Deletes delivered (default) or dead entries created before `before` (ISO); returns how many. Audited. */
  purgeOutbox(options: { status: 'delivered' | 'dead'; before?: string; audit: AuditEvent }): Promise<number>;
  outboxSummary(): Promise<OutboxSummary>;
  listOutbox(options: { status?: OutboxStatus; afterSeq?: number; limit: number }): Promise<OutboxRecord[]>;
  /** Disclosure audit entries naming `patient` (`Patient/ID`) recorded at or after `since` (ISO), oldest first. */
  listDisclosures(options: { patient: string; since: string }): Promise<AuditRecord[]>;
  /**
   * Ends the running leases of pending entries whose owner `isGone` says no longer runs (a crashed earlier
   * process), so they are due at once instead of when the lease runs out; attempts are not counted. Returns
   * the released entries per owner. Optional: a store without it leaves leases to expire.
   */
  releaseOutboxLeases?(options: { now: number; isGone: (owner: string) => boolean }): Promise<Array<{ owner: string; entries: number }>>;
  /**
   * Calls `listener` after every commit that added outbox entries in this process (ingest, device link,
   * replay), so the worker wakes at once instead of at its next poll. Returns the unsubscribe function.
   * Optional: without it the worker polls.
   */
  onOutboxWrite?(listener: () => void): () => void;
}
