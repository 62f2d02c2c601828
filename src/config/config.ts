/** JWS algorithms accepted on SMART access tokens (RFC 8725 §3.1: an explicit allow-list, never `none`/HS*). */
export type JwsAlgorithm = 'RS256' | 'RS384' | 'ES256' | 'ES384';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The validated, frozen configuration; every field comes from one `IOMT_*` variable (see CONFIG_VARIABLES)
 * or is derived from them. Paths are absolute. URLs carry no trailing slash.
 */
export interface Config {
  /** Absolute path of the JSON file read, if IOMT_CONFIG_FILE was set. */
  configFile?: string;
  dataDir: string;
  host: string;
  /** 0 = any free port (then see {@link withListeningPort}). */
  port: number;
  /** Public base URL of this bridge, e.g. `https://bridge.example.org`. */
  publicUrl: string;
  /** True when IOMT_PUBLIC_URL was not given and `publicUrl` was derived from the port. */
  publicUrlIsDefault: boolean;
  /** `publicUrl + '/fhir'`. */
  fhirBaseUrl: string;
  /** IOMT_TLS_*: present when both files are set; the files are read by readTlsCredentials at start-up. */
  tls?: TlsConfig;
  /** `publicUrl + '/ingest'`: the `aud` devices must put in their tokens. */
  ingestAudience: string;
  store: 'sqlite' | 'postgres';
  sqliteFile: string;
  /** IOMT_POSTGRES_*; present when `store` is `postgres`. */
  postgres?: PostgresConfig;
  mappingsDir: string;
  profilesDir: string;
  /** IOMT_VALIDATION_ALLOWED_EXTENSION_DOMAINS: extensions accepted without a definition. */
  validationAllowedExtensionDomains?: readonly string[];
  ingestMaxBytes: number;
  ingestMaxItems: number;
  ingestMaxDepth: number;
  deviceTokenMaxLifetimeS: number;
  clockToleranceS: number;
  authIssuer?: string;
  authJwksUrl?: string;
  authJwksFile?: string;
  /** Expected `aud` of SMART access tokens (default `fhirBaseUrl`). */
  authAudience: string;
  authAlgorithms: readonly JwsAlgorithm[];
  /** Whether the built-in development token issuer runs (IOMT_DEV_ISSUER resolved). */
  devIssuer: boolean;
  /** `publicUrl + '/dev-issuer'`: the `iss` of the development issuer's tokens. */
  devIssuerUrl: string;
  logLevel: LogLevel;
  fhirDefaultCount: number;
  fhirMaxCount: number;
  /** RFC 7662 introspection for opaque access tokens (IOMT_AUTH_INTROSPECTION_*). */
  authIntrospection?: IntrospectionConfig;
  /** Advertised in SMART discovery and the CapabilityStatement. */
  authAuthorizeUrl?: string;
  authTokenUrl?: string;
  /** The SMART app; absent when IOMT_APP_EHRS is not set (app off). */
  app?: AppConfig;
  /** Delivery to the EHR; absent when IOMT_EHR_BASE_URL is not set (delivery off). */
  ehr?: EhrConfig;
  /** MQTT ingest; absent when IOMT_MQTT=off. */
  mqtt?: MqttConfig;
}

/** IOMT_TLS_CERT_FILE and IOMT_TLS_KEY_FILE (absolute paths): one certificate for HTTPS and the embedded broker. */
export interface TlsConfig {
  certFile: string;
  keyFile: string;
  /** IOMT_TLS_CLIENT_CA_FILE: the CA(s) issuing device client certificates (mTLS); absent: none requested. */
  clientCaFile?: string;
  /** IOMT_TLS_HANDSHAKE_TIMEOUT_MS: the HTTPS listener closes a connection whose handshake takes longer. */
  handshakeTimeoutMs: number;
}

/** IOMT_MQTT_*, resolved: the embedded broker or an external one. */
export type MqttConfig = EmbeddedMqttConfig | ExternalMqttConfig;

interface MqttCommon {
  topicPrefix: string;
  maxInflight: number;
  connectTimeoutMs: number;
}

export interface EmbeddedMqttConfig extends MqttCommon {
  mode: 'embedded';
  host: string;
  /** 0 = any free port. */
  port: number;
}

export interface ExternalMqttConfig extends MqttCommon {
  mode: 'external';
  /** `mqtt://…` or `mqtts://…`. */
  url: string;
  username?: string;
  password?: string;
  clientId: string;
  shareGroup: string;
  /** MQTT 5 Session Expiry Interval asked for (seconds). */
  sessionExpiryS: number;
}

/** IOMT_AUTH_INTROSPECTION_*, resolved. */
export interface IntrospectionConfig {
  url: string;
  clientId: string;
  clientSecret: string;
  cacheTtlMs: number;
}

/** IOMT_APP_*, resolved. */
export interface AppConfig {
  /** Allowed `iss` values: FHIR base URLs without trailing slash. */
  ehrs: readonly string[];
  clientId: string;
  scope: string;
  sessionTtlMs: number;
}

/** The IOMT_EHR_* variables, resolved. Times in milliseconds. */
export interface EhrConfig {
  /** FHIR base URL without trailing slash. */
  baseUrl: string;
  clientId: string;
  /** Explicit token endpoint; discovered from the EHR's smart-configuration when absent. */
  tokenUrl?: string;
  scopes: string;
  clientAlg: 'ES384' | 'RS384';
  patientIdentifierSystem?: string;
  batchSize: number;
  concurrency: number;
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
  pollMs: number;
  leaseMs: number;
}

/** IOMT_POSTGRES_*, resolved (the URL may hold a password: never log it). */
export interface PostgresConfig {
  url: string;
  schema: string;
  poolSize: number;
}
