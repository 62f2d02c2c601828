import type { Logger } from 'pino';
import type { AppDeps } from '../app';
import type { TlsCredentials } from '../config';
import type { MappingRegistry } from '../mapping/registry';
import type { Metrics } from '../ops/metrics';
import type { Store } from '../store/port';
import type { Validator } from '../validation/port';
import type { VerifyAccessToken } from './plugins/smart-auth';

/** Settings the HTTP layer needs, taken from the validated config by the composition root. */
export interface HttpSettings {
  host: string;
  port: number;
  /** Public base URL without trailing slash, e.g. `https://bridge.example.org`. */
  publicUrl: string;
  /** `publicUrl + '/fhir'`. */
  fhirBaseUrl: string;
  /** `publicUrl + '/ingest'`: the `aud` of every device token, whichever mapping path is used. */
  ingestAudience: string;
  ingestMaxBytes: number;
  ingestMaxItems: number;
  ingestMaxDepth: number;
  deviceTokenMaxLifetimeSeconds: number;
  clockToleranceSeconds: number;
  fhirDefaultCount: number;
  fhirMaxCount: number;
  softwareVersion: string;
  /** The EHR authorization server's endpoints, advertised by SMART discovery (issue 5). */
  smart?: SmartEndpoints;
}

/** Endpoints advertised in `/fhir/.well-known/smart-configuration` and the CapabilityStatement. */
export interface SmartEndpoints {
  authorizeUrl?: string;
  tokenUrl?: string;
  introspectionUrl?: string;
}

/** Everything the server is built from: passed in, never reached for globally. */
export interface HttpDeps {
  settings: HttpSettings;
  store: Store;
  /** The mappings in service; hot reload swaps the set behind `current()`. */
  mappings: MappingRegistry;
  validator: Validator;
  verifyAccessToken: VerifyAccessToken;
  logger: Logger;
  metrics: Metrics;
  /** Clock in epoch ms (tests freeze it). */
  now: () => number;
  /** Our public keys for SMART Backend Services at the EHR, served at `/.well-known/jwks.json` (issue 6). */
  clientJwks?: { keys: Array<Record<string, unknown>> };
  /** The SMART app (issue 5), when IOMT_APP_EHRS is set. */
  app?: AppDeps;
  /** IOMT_TLS_*, read at start-up: the server listens HTTPS (TLS 1.3 only) instead of plain HTTP. */
  tls?: TlsCredentials;
}
