/** Public API of the ingest stage: body parsing, device authentication and the transport-neutral core (runIngest). */
export { parseIngestBody } from './parse-ingest-body';
export { ingestMediaType, type IngestMediaType } from './content-type';
export { authenticateDevice, type AuthenticateDeviceOptions, type AuthenticatedDevice } from './authenticate-device';
export { authenticateCertificate, checkCertificateAgrees, type AuthenticateCertificateOptions } from './authenticate-certificate';
export { certificateThumbprint, presentedCertificate, type PresentedCertificate } from './presented-certificate';
export { signDeviceToken, type SignDeviceTokenOptions } from './sign-device-token';
export { bodySha256 } from './body-sha256';
export { parseStrictJson, MAX_DEPTH_CAP, type JsonLimits, type JsonValue, type JsonObject } from './json/parse-strict-json';
export { runIngest, auditIngestRefusal, appendRefusalAudit, type IngestDeps, type IngestRequest, type IngestSettings, type IngestSummary, type IngestRefusal } from './run-ingest';
