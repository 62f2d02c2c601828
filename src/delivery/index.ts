/** Delivery stage: the SMART Backend Services client and the outbox worker that pushes readings to the EHR. */
export { buildOutboxAuditEvent, type OutboxAuditInput } from './build-outbox-audit-event';
export { buildDisclosureAuditEvent, EHR_RECIPIENT_SYSTEM, type DisclosureAuditInput } from './build-disclosure-audit-event';
export { buildTransactionBundle, type BuildBundleInput, type BuiltBundle, type PushItem } from './build-transaction-bundle';
export { createCircuitBreaker, type BreakerState, type CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker';
export { signClientAssertion, MAX_ASSERTION_LIFETIME_S, type ClientAssertionInput } from './client-assertion';
export { loadOrCreateClientKey, type ClientAssertionAlg, type ClientKey } from './client-key';
export { deliverBatch, type BatchResult, type DeliverDeps } from './deliver-batch';
export { DeliveryFailure, type DeliveryErrorCode, type FailureKind } from './delivery-failure';
export { createEhrClient, failureOfStatus, type EhrClient, type EhrClientOptions } from './ehr-client';
export { isWithinBase, localReference } from './ehr-url';
export { fetchBounded, type BoundedResponse, type FetchLike } from './fetch-bounded';
export { createOutboxWorker, type OutboxWorker, type OutboxWorkerOptions } from './outbox-worker';
export { readTransactionResponse, type TransactionResult } from './read-transaction-response';
export { createPatientResolver, type PatientResolver, type PatientResolverOptions } from './resolve-ehr-patient';
export { backoffDelay, parseRetryAfter, retryDelay, MAX_RETRY_AFTER_MS } from './retry-policy';
export { createDelivery, type DeliveryDeps } from './start-delivery';
export { createTokenSource, type TokenSource, type TokenSourceOptions } from './token-source';
