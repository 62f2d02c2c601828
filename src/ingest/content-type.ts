import { FhirError } from '../errors/fhir-error';

/** The media types the ingest endpoint reads. */
export type IngestMediaType = 'application/json' | 'application/x-ndjson';

const SUPPORTED: ReadonlySet<string> = new Set<IngestMediaType>(['application/json', 'application/x-ndjson']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const unsupported = (text: string): FhirError =>
  FhirError.of('ERR_UNSUPPORTED_MEDIA_TYPE', { code: 'not-supported', text }, { status: 415 });

/**
 * Reads a Content-Type header (RFC 9110 §8.3) and returns the ingest media type, or throws 415.
 * A `charset` parameter, if given, must be `utf-8` (RFC 8259 §8.1: JSON exchanged between systems is
 * UTF-8); other parameters are ignored.
 * @example ingestMediaType('application/json; charset=UTF-8') // 'application/json'
 */
export function ingestMediaType(contentType: string | undefined): IngestMediaType {
  if (contentType === undefined || contentType.trim() === '') {
    throw unsupported('Content-Type is required: application/json or application/x-ndjson');
  }
  const [typePart = '', ...params] = contentType.split(';');
  const type = typePart.trim().toLowerCase();
  if (!SUPPORTED.has(type)) {
    throw unsupported('Unsupported Content-Type; use application/json or application/x-ndjson');
  }
  for (const param of params) {
    if (param.trim() === '') continue;
    const eq = param.indexOf('=');
    const name = param.slice(0, eq).trim().toLowerCase();
    const raw = param.slice(eq + 1).trim();
    const value = (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw).toLowerCase();
    if (eq < 1 || !TOKEN.test(name)) throw unsupported('Malformed Content-Type parameter');
    if (name === 'charset' && value !== 'utf-8') throw unsupported('Only charset=utf-8 is supported');
  }
  return type as IngestMediaType;
}
