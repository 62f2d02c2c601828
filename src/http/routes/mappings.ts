import type { Request, ServerRoute } from '@hapi/hapi';
import type { Bundle } from 'fhir/r4';
import { badRequest } from '../../errors/fhir-error';
import { parseIngestBody } from '../../ingest';
import { processItems } from '../../ingest/process-items';
import { compileMapping, parseMappingText } from '../../mapping';
import { compileMedTechText } from '../../mapping/medtech';
import type { TraceStep } from '../../mapping/trace';
import type { CompiledMapping } from '../../mapping/types';
import type { HttpDeps } from '../deps';
import { requireAdmin } from '../plugins/admin-auth';
import { playgroundRoutes } from '../playground/playground-routes';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v.trim() === '') throw badRequest('ERR_MAPPING_TEST_BODY', `${what} must be a non-empty string`, what);
  return v;
};

/**
 * A mapping sent with the request: our YAML/JSON text, or a MedTech pair `{devicecontent, fhirmapping}` (texts
 * or JSON). Compiled exactly as files are at start-up — a bad one answers ERR_MAPPING_INVALID naming the line.
 */
function postedMapping(raw: unknown): CompiledMapping {
  if (typeof raw === 'string') {
    const { doc, lines } = parseMappingText(text(raw, 'mapping'), 'posted mapping');
    return compileMapping(doc, 'posted mapping', lines);
  }
  if (isObject(raw) && 'devicecontent' in raw && 'fhirmapping' in raw) {
    const asText = (v: unknown, what: string) => (typeof v === 'string' ? text(v, what) : JSON.stringify(v, null, 2));
    return compileMedTechText({
      id: 'posted-medtech',
      deviceContent: { text: asText(raw.devicecontent, 'mapping.devicecontent'), source: 'devicecontent.json' },
      fhirMapping: { text: asText(raw.fhirmapping, 'mapping.fhirmapping'), source: 'fhirmapping.json' },
    });
  }
  throw badRequest('ERR_MAPPING_TEST_BODY', 'mapping must be mapping text (YAML or JSON), or {devicecontent, fhirmapping}', 'mapping');
}

/** The payload as ingest reads it: raw text through the same strict parser (JSON or NDJSON), or parsed JSON. */
function items(body: Json, deps: HttpDeps): unknown[] {
  const { payload } = body;
  if (typeof payload === 'string') {
    const contentType = body.contentType === 'application/x-ndjson' ? 'application/x-ndjson' : 'application/json';
    const { ingestMaxItems: maxItems, ingestMaxDepth: maxDepth } = deps.settings;
    return parseIngestBody(Buffer.from(payload, 'utf8'), contentType, { maxItems, maxDepth });
  }
  if (payload === undefined || payload === null) throw badRequest('ERR_MAPPING_TEST_BODY', 'payload is required (the device JSON, or its raw text)', 'payload');
  return Array.isArray(payload) ? payload : [payload];
}

function device(body: Json): { deviceId: string; patient?: string } {
  const d = isObject(body.device) ? body.device : {};
  const deviceId = typeof d.id === 'string' && /^[A-Za-z0-9\-.]{1,64}$/.test(d.id) ? d.id : 'dry-run-device';
  if (d.patient === null) return { deviceId };
  return { deviceId, patient: typeof d.patient === 'string' && /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(d.patient) ? d.patient : 'Patient/example' };
}

/**
 * `POST /mappings/$test` (admin): runs exactly what ingest runs — the same parser, `processItems` (select, map,
 * validate) — on a posted payload with a posted or loaded mapping, and answers what the runtime would store,
 * each item's outcome, and the trace of every step. Nothing is stored.
 */
function testHandler(deps: HttpDeps) {
  return (request: Request) => {
    requireAdmin(request);
    const body: unknown = request.payload;
    if (!isObject(body)) throw badRequest('ERR_MAPPING_TEST_BODY', 'The body must be a JSON object {payload, mapping?, mappingId?, device?}');
    const posted = body.mapping === undefined ? undefined : postedMapping(body.mapping);
    const mappings = posted ? [posted] : deps.mappings.current();
    const mappingId = posted?.id ?? (typeof body.mappingId === 'string' && body.mappingId !== '' ? body.mappingId : undefined);
    const traces: TraceStep[][] = [];
    const processed = processItems(items(body, deps), device(body), { mappings, validator: deps.validator, mappingId, trace: (i) => (traces[i] = []) });
    const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: processed.resources.map((resource) => ({ fullUrl: `${deps.settings.fhirBaseUrl}/${resource.resourceType}/${resource.id}`, resource })) };
    return {
      mapping: posted ? { id: posted.id, kind: posted.kind, title: posted.title, warnings: posted.warnings ?? [] } : { id: mappingId ?? null },
      summary: { received: processed.results.length, accepted: processed.accepted, rejected: processed.rejected },
      bundle,
      items: processed.results.map((r) => ({ ...r, trace: traces[r.item] ?? [] })),
    };
  };
}

/** `GET /mappings` (admin): the mappings in service, for the playground's picker. */
function listHandler(deps: HttpDeps) {
  return (request: Request) => {
    requireAdmin(request);
    return deps.mappings.current().map((m) => ({ id: m.id, title: m.title, kind: m.kind ?? 'iomt', source: m.source, warnings: m.warnings ?? [] }));
  };
}

export function mappingsRoutes(deps: HttpDeps): ServerRoute[] {
  return [
    {
      method: 'POST', path: '/mappings/$test', handler: testHandler(deps),
      options: { auth: 'smart', payload: { parse: true, allow: ['application/json'], maxBytes: deps.settings.ingestMaxBytes } },
    },
    { method: 'GET', path: '/mappings', handler: listHandler(deps), options: { auth: 'smart' } },
    ...playgroundRoutes(),
  ];
}
