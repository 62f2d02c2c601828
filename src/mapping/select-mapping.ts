import { FhirError } from '../errors/fhir-error';
import type { CompiledMapping, MatchContext } from './types';

export const ERR_MAPPING_UNKNOWN = 'ERR_MAPPING_UNKNOWN';
export const ERR_NO_MAPPING = 'ERR_NO_MAPPING';

/**
 * Pick the mapping for a payload: the one named `mappingId` (e.g. from the registry entry or a dry-run
 * request), otherwise the first, in load order, whose match rule accepts the payload.
 * @throws FhirError `ERR_MAPPING_UNKNOWN` (404) for an unknown id; `ERR_NO_MAPPING` (422) when none matches.
 * @param context what the transport knows (the MQTT topic), for `match: { topic }` rules.
 * @example const mapping = selectMapping(mappings, payload); // or selectMapping(mappings, payload, 'bp-cuff')
 */
export function selectMapping(mappings: readonly CompiledMapping[], payload: unknown, mappingId?: string, context?: MatchContext): CompiledMapping {
  if (mappingId !== undefined) {
    const named = mappings.find((m) => m.id === mappingId);
    if (named) return named;
    throw FhirError.of(ERR_MAPPING_UNKNOWN, { code: 'not-found', text: `no mapping with id "${mappingId}"` }, { status: 404 });
  }
  const matching = mappings.find((m) => m.matches(payload, context));
  if (matching) return matching;
  const known = mappings.map((m) => m.id).join(', ') || 'none loaded';
  throw FhirError.of(ERR_NO_MAPPING, {
    code: 'processing',
    text: `no mapping accepts this payload (mappings: ${known})`,
  }, { status: 422 });
}
