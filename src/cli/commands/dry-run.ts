import { existsSync } from 'node:fs';
import type { Bundle } from 'fhir/r4';
import type { Command } from 'commander';
import type { TraceStep } from '../../mapping/trace';
import { formatTrace } from '../../mapping/trace-format';
import { outcomeOf } from '../../errors/fhir-error';
import { parseIngestBody } from '../../ingest';
import { processItems } from '../../ingest/process-items';
import type { CompiledMapping } from '../../mapping/types';
import type { Validator } from '../../validation/port';
import { type CliContext, inputMediaType, json, readInput } from '../io';

/** Mappings and validator compiled the way `serve` compiles them. */
export interface Engines {
  mappings: () => readonly CompiledMapping[];
  /** A mapping file, a family folder, or a MedTech template folder. */
  mappingFile: (file: string) => CompiledMapping;
  validator: () => Validator;
  /** The configured FHIR base: the runtime would serve the produced resources under it. */
  fhirBaseUrl: () => string;
}

/**
 * `map`: runs the very code the ingest route runs (parse → map → validate), without a device token or a store.
 * Resources go to stdout as a `collection` Bundle; rejected items as an OperationOutcome on stderr. With
 * `--trace`, each item's steps (template matches, expressions and results, conversions, produced resources,
 * validation) go to stderr first — recorded by the very functions ingest runs.
 */
export function registerMapCommand(program: Command, ctx: CliContext, engines: Engines): void {
  program.command('map').description('map a device payload to FHIR with a mapping, exactly as ingest would (dry run)')
    .requiredOption('--mapping <idOrFile>', 'mapping id (from the mappings folder), a mapping file, or a folder (family or MedTech devicecontent.json + fhirmapping.json)')
    .requiredOption('--input <file>', 'payload file (JSON object or array; NDJSON when named *.ndjson or with --ndjson), or - for stdin')
    .option('--ndjson', 'read the input as NDJSON (one JSON object per line)')
    .option('--device <id>', 'device id to map as', 'dry-run-device')
    .option('--patient <ref>', 'patient the device is linked to ("" for none)', 'Patient/example')
    .option('--trace', 'show each step on stderr: matches, expressions and results, conversions, resources, validation')
    .action((options: { mapping: string; input: string; ndjson?: boolean; device: string; patient: string; trace?: boolean }) => {
      const text = readInput(ctx.io, options.input);
      const contentType = inputMediaType(options.input, options.ndjson);
      const items = parseIngestBody(Buffer.from(text, 'utf8'), contentType, { maxItems: 100_000, maxDepth: 64 });
      const byFile = /\.(ya?ml|json)$/.test(options.mapping) || options.mapping.includes('/') || existsSync(options.mapping);
      const mappings = byFile ? [engines.mappingFile(options.mapping)] : engines.mappings();
      const mappingId = byFile ? mappings[0]?.id : options.mapping;
      const traces: TraceStep[][] = [];
      const processed = processItems(items, { deviceId: options.device, patient: options.patient || undefined }, {
        mappings, validator: engines.validator(), mappingId, trace: options.trace ? (i) => (traces[i] = []) : undefined,
      });
      traces.forEach((steps, i) => ctx.io.err(formatTrace(`item[${i}]`, steps)));
      // fullUrl is absolute (the resource's URL under the FHIR base), so the relative references between the
      // entries (Observation.device → Device/…) resolve inside the Bundle. See: https://hl7.org/fhir/R4/bundle.html#references
      const base = engines.fhirBaseUrl().replace(/\/+$/, '');
      const bundle: Bundle = {
        resourceType: 'Bundle', type: 'collection',
        entry: processed.resources.map((resource) => ({ fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource })),
      };
      ctx.io.out(json(bundle));
      if (processed.rejected > 0) {
        const issues = processed.results.flatMap((r) => r.outcome?.issue ?? []);
        ctx.io.err(json({ ...outcomeOf([]), issue: issues }));
        ctx.exitCode = 1;
      }
    });
}

/** `validate FILE [--profile URL]`: the runtime validator on one resource; non-zero exit on errors. */
export function registerValidateCommand(program: Command, ctx: CliContext, engines: Engines): void {
  program.command('validate').description('validate a FHIR resource (JSON) and print the OperationOutcome').argument('<file>')
    .option('--profile <url...>', 'profile canonical URL(s) to validate against')
    .action((file: string, options: { profile?: string[] }) => {
      const resource = JSON.parse(readInput(ctx.io, file)) as Parameters<Validator['validate']>[0];
      const outcome = engines.validator().validate(resource, { profiles: options.profile });
      ctx.io.out(json(outcome));
      if (outcome.issue.some((i) => i.severity === 'error' || i.severity === 'fatal')) ctx.exitCode = 1;
    });
}
