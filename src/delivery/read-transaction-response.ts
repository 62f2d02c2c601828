import { DeliveryFailure } from './delivery-failure';
import { localReference } from './ehr-url';
import type { BoundedResponse } from './fetch-bounded';
import { parseJsonObject } from './token-source';

/** Per bundle entry: `Type/id` at the EHR when its Location is inside the EHR base (never requested either way). */
export interface TransactionResult {
  references: Array<string | undefined>;
  /** Locations that pointed outside the EHR base (SECURITY-CASES 47): recorded as absent, counted for the log. */
  foreignLocations: number;
}

/**
 * Checks a 2xx answer to a transaction: a `transaction-response` Bundle with one entry per request entry, each
 * with a 2xx status. Anything else (a malformed or truncated Bundle, a wrong entry count) is a retryable failure:
 * the transaction may or may not have been applied, and resending it is safe because every entry is conditional.
 * See: https://hl7.org/fhir/R4/http.html#transaction-response
 */
export function readTransactionResponse(res: BoundedResponse, expectedEntries: number, baseUrl: string): TransactionResult {
  const bad = (why: string): DeliveryFailure =>
    new DeliveryFailure('ERR_EHR_BAD_RESPONSE', `the EHR's transaction answer ${why}`, 'retry', { status: res.status, response: res.text });
  const bundle = parseJsonObject(res.text);
  if (bundle === undefined) throw bad('is not a JSON object');
  if (bundle.resourceType !== 'Bundle' || bundle.type !== 'transaction-response') throw bad('is not a transaction-response Bundle');
  const entries = bundle.entry;
  if (!Array.isArray(entries) || entries.length !== expectedEntries) throw bad(`does not have ${expectedEntries} entries`);
  const result: TransactionResult = { references: [], foreignLocations: 0 };
  for (const entry of entries as Array<{ response?: { status?: unknown; location?: unknown } }>) {
    const status = entry?.response?.status;
    if (typeof status !== 'string' || !/^2\d\d(\s|$)/.test(status)) throw bad(`has an entry with status ${String(status)}`);
    const location = entry.response?.location;
    const reference = typeof location === 'string' ? localReference(location, baseUrl) : undefined;
    if (typeof location === 'string' && reference === undefined) result.foreignLocations += 1;
    result.references.push(reference);
  }
  return result;
}
