import type { EhrConfig } from './config';
import type { ConfigProblem } from './config-error';
import { refuseUnused, valueOr } from './config-values';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const EHR_ONLY = [
  'IOMT_EHR_CLIENT_ID', 'IOMT_EHR_TOKEN_URL', 'IOMT_EHR_SCOPES', 'IOMT_EHR_CLIENT_ALG', 'IOMT_EHR_PATIENT_IDENTIFIER_SYSTEM',
  'IOMT_EHR_BATCH_SIZE', 'IOMT_EHR_CONCURRENCY', 'IOMT_EHR_TIMEOUT_MS', 'IOMT_EHR_MAX_ATTEMPTS', 'IOMT_EHR_RETRY_BASE_MS',
  'IOMT_EHR_RETRY_MAX_MS', 'IOMT_EHR_BREAKER_THRESHOLD', 'IOMT_EHR_BREAKER_COOLDOWN_MS', 'IOMT_EHR_POLL_MS', 'IOMT_EHR_LEASE_S',
];

/**
 * The IOMT_EHR_* variables: undefined (delivery off) without IOMT_EHR_BASE_URL, where setting any other of
 * them is a mistake worth stopping for. Data and tokens go over https; plain http is allowed on loopback only
 * (tests, the sandbox EHR).
 */
export function resolveEhrConfig(values: ReadonlyMap<string, unknown>, problems: ConfigProblem[]): EhrConfig | undefined {
  const get = valueOr(values);
  const base = values.get('IOMT_EHR_BASE_URL') as string | undefined;
  if (base === undefined) {
    refuseUnused(values, EHR_ONLY, 'IOMT_EHR_BASE_URL, which is not set', problems);
    return undefined;
  }
  const clientId = values.get('IOMT_EHR_CLIENT_ID') as string | undefined;
  if (clientId === undefined) problems.push({ variable: 'IOMT_EHR_CLIENT_ID', reason: 'is required with IOMT_EHR_BASE_URL' });
  const config: EhrConfig = {
    baseUrl: secureUrl('IOMT_EHR_BASE_URL', base, problems).replace(/\/+$/, ''),
    clientId: clientId ?? '',
    scopes: get('IOMT_EHR_SCOPES', 'system/Patient.rs system/Device.cu system/Observation.cu'),
    clientAlg: get('IOMT_EHR_CLIENT_ALG', 'ES384'),
    batchSize: get('IOMT_EHR_BATCH_SIZE', 50),
    concurrency: get('IOMT_EHR_CONCURRENCY', 8),
    timeoutMs: get('IOMT_EHR_TIMEOUT_MS', 10_000),
    maxAttempts: get('IOMT_EHR_MAX_ATTEMPTS', 25),
    retryBaseMs: get('IOMT_EHR_RETRY_BASE_MS', 1000),
    retryMaxMs: get('IOMT_EHR_RETRY_MAX_MS', 300_000),
    breakerThreshold: get('IOMT_EHR_BREAKER_THRESHOLD', 5),
    breakerCooldownMs: get('IOMT_EHR_BREAKER_COOLDOWN_MS', 5000),
    pollMs: get('IOMT_EHR_POLL_MS', 100),
    leaseMs: get('IOMT_EHR_LEASE_S', 60) * 1000,
  };
  const tokenUrl = values.get('IOMT_EHR_TOKEN_URL') as string | undefined;
  if (tokenUrl !== undefined) config.tokenUrl = secureUrl('IOMT_EHR_TOKEN_URL', tokenUrl, problems);
  const system = values.get('IOMT_EHR_PATIENT_IDENTIFIER_SYSTEM') as string | undefined;
  if (system !== undefined) config.patientIdentifierSystem = system;
  if (config.retryBaseMs > config.retryMaxMs) {
    problems.push({ variable: 'IOMT_EHR_RETRY_BASE_MS', reason: `must be <= IOMT_EHR_RETRY_MAX_MS (${config.retryMaxMs})` });
  }
  if (config.leaseMs <= config.timeoutMs) {
    problems.push({ variable: 'IOMT_EHR_LEASE_S', reason: 'must be longer than IOMT_EHR_TIMEOUT_MS, or a slow push could be sent twice at once' });
  }
  return config;
}

/** https, or http on loopback; no credentials, query or fragment. Returns the value unchanged. */
export function secureUrl(variable: string, value: string, problems: ConfigProblem[]): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    problems.push({ variable, reason: `must be an http or https URL, got '${value}'` });
  } else if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    problems.push({ variable, reason: 'must use https (http is allowed on loopback only)' });
  } else if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    problems.push({ variable, reason: 'must not carry credentials, a query or a fragment' });
  }
  return value;
}
