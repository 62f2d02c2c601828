/** Audit stage: pure AuditEvent builders and the hash chain that makes the trail tamper-evident. */
export { buildIngestAuditEvent, type IngestAuditInput } from './build-ingest-audit-event';
export { buildAccessAuditEvent, type AccessAuditInput, type AccessInteraction } from './build-access-audit-event';
export { CLIENT_ID_SYSTEM, DEVICE_ID_SYSTEM, USER_ID_SYSTEM, type AuditOutcome, type CommonAuditInput } from './audit-codes';
export { canonicalJson } from './canonical-json';
export {
  chainHash,
  GENESIS_HASH,
  verifyAuditChain,
  type ChainRecord,
  type VerifyChainOptions,
  type VerifyChainResult,
} from './hash-chain';
export { verifyAuditPages, type ReadAuditPage, type VerifyPagesResult } from './verify-audit-pages';
