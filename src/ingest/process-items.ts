import type { Device, Observation, OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';
import { FhirError, hasErrors } from '../errors/fhir-error';
import type { CompiledMapping, DeviceContext, MatchContext } from '../mapping/types';
import { selectMapping } from '../mapping';
import { mergeObservations } from '../mapping/medtech';
import type { Validator } from '../validation/port';
import type { Trace } from '../mapping/trace';

/**
 * The pure middle of ingest, shared by every transport and by the dry run: each parsed item is mapped
 * and every produced resource validated. No I/O: the caller commits `resources` in one transaction.
 */
export interface ItemResult {
  item: number;
  status: 'accepted' | 'rejected';
  mapping?: string;
  resources?: string[];
  outcome?: OperationOutcome;
}

export interface ProcessedItems {
  /** Resources of all accepted items, Devices de-duplicated by id (the last item wins). */
  resources: Array<Device | Observation>;
  results: ItemResult[];
  accepted: number;
  rejected: number;
}

export interface ProcessOptions {
  mappings: readonly CompiledMapping[];
  validator: Validator;
  mappingId?: string;
  /** How the items arrived (the MQTT topic), for mappings that match on it. */
  match?: MatchContext;
  /** The debugger (CLI `map --trace`, `POST /mappings/$test`): where to record item `index`'s steps. */
  trace?: (index: number) => Trace;
}

/** Issues of a rejected item, each prefixed with the item's place in the request. */
function locate(issues: OperationOutcomeIssue[], location: string): OperationOutcomeIssue[] {
  return issues.map((issue) => ({ ...issue, diagnostics: `${location}: ${issue.diagnostics ?? issue.details?.text ?? ''}` }));
}

function mapAndValidate(payload: unknown, device: DeviceContext, location: string, options: ProcessOptions, trace: Trace) {
  const mapping = selectMapping(options.mappings, payload, options.mappingId, options.match);
  trace?.push({ step: 'select', value: mapping.id, note: options.mappingId === undefined ? 'the first mapping whose match rule accepts the payload' : 'named by the request' });
  const output = mapping.map({ payload, device, location }, trace);
  const produced: Array<Device | Observation> = [output.device, ...output.observations];
  const issues: OperationOutcomeIssue[] = [];
  for (const resource of produced) {
    const outcome = options.validator.validate(resource);
    trace?.push({ step: 'validate', at: `${resource.resourceType}/${resource.id}`, value: outcome });
    if (hasErrors(outcome)) issues.push(...outcome.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal'));
  }
  return { mapping: mapping.id, produced, issues };
}

export function processItems(items: readonly unknown[], device: DeviceContext, options: ProcessOptions): ProcessedItems {
  const devices = new Map<string, Device>();
  const observations = new Map<string, Observation>();
  const results: ItemResult[] = [];
  items.forEach((payload, index) => {
    const location = `item[${index}]`;
    const trace = options.trace?.(index);
    try {
      const { mapping, produced, issues } = mapAndValidate(payload, device, location, options, trace);
      if (issues.length > 0) {
        results.push({ item: index, status: 'rejected', mapping, outcome: { resourceType: 'OperationOutcome', issue: locate(issues, location) } });
        return;
      }
      for (const r of produced) {
        if (r.resourceType === 'Device') devices.set(r.id ?? '', r);
        else {
          // Two items producing one Observation (a MedTech hourly stream): merge, as MedTech does with the stored one.
          const earlier = observations.get(r.id ?? '');
          observations.set(r.id ?? '', earlier ? mergeObservations(earlier, r) : r);
        }
      }
      results.push({ item: index, status: 'accepted', mapping, resources: produced.map((r) => `${r.resourceType}/${r.id}`) });
    } catch (error) {
      if (!(error instanceof FhirError)) throw error;
      trace?.push({ step: 'error', value: error.outcome, note: error.code });
      results.push({ item: index, status: 'rejected', outcome: { resourceType: 'OperationOutcome', issue: locate(error.outcome.issue, location) } });
    }
  });
  const accepted = results.filter((r) => r.status === 'accepted').length;
  return { resources: [...devices.values(), ...observations.values()], results, accepted, rejected: results.length - accepted };
}
