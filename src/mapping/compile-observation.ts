import type { CodeableConcept, Coding, Observation, ObservationComponent } from 'fhir/r4';
import { compileValue, type ValueOut, type ValueReader } from './compile-value';
import { definitionError, type CompileContext } from './compile-context';
import { observationId, observationIdentifier } from './observation-identity';
import type { DocPath } from './parse-mapping-text';
import type { CategoryCode, CodingSpec, ObservationSpec } from './mapping-document';
import type { RunIssues } from './run-issues';

/** What an observation builder needs from the payload-level steps. */
export interface ObservationRun {
  readonly payload: unknown;
  readonly deviceId: string;
  /** `Patient/ID`. */
  readonly subject: string;
  readonly effective: string;
  /** Message id, or the normalised UTC timestamp when the payload has none. */
  readonly key: string;
  readonly issues: RunIssues;
}

/** Builds one Observation, or undefined when it is optional and absent, or when an issue was recorded. */
export type ObservationBuilder = (run: ObservationRun) => Observation | undefined;

const CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';
// Displays from the CodeSystem. See: https://terminology.hl7.org/CodeSystem-observation-category.html
const CATEGORY_DISPLAY: Readonly<Record<CategoryCode, string>> = {
  'social-history': 'Social History', 'vital-signs': 'Vital Signs', imaging: 'Imaging', laboratory: 'Laboratory',
  procedure: 'Procedure', survey: 'Survey', exam: 'Exam', therapy: 'Therapy', activity: 'Activity',
};

const coding = (c: CodingSpec): Coding => (c.display === undefined ? { system: c.system, code: c.code } : { system: c.system, code: c.code, display: c.display });
const concept = (c: CodingSpec): CodeableConcept => ({ coding: [coding(c)] });
const labelOf = (c: CodingSpec): string => `Observation ${c.code}${c.display ? ` (${c.display})` : ''}`;

interface CompiledComponent {
  code: CodingSpec;
  optional: boolean;
  read: ValueReader;
}

export function compileObservation(spec: ObservationSpec, at: DocPath, ctx: CompileContext): ObservationBuilder {
  if (!spec.value && !spec.components) throw definitionError(ctx, at, 'an observation needs a value, components, or both');
  const read = spec.value ? compileValue(spec.value, [...at, 'value'], ctx) : undefined;
  const components: CompiledComponent[] = (spec.components ?? []).map((c, i) => ({
    code: c.code,
    optional: c.optional ?? false,
    read: compileValue(c.value, [...at, 'components', i, 'value'], ctx),
  }));
  const label = labelOf(spec.code);
  const optional = spec.optional ?? false;
  return (run) => {
    const value = read ? read.read(run.payload, run.issues, label) : undefined;
    const parts = components.map((c) => ({ c, out: c.read.read(run.payload, run.issues, `${label} component ${c.code.code}`) }));
    if (value === 'error' || parts.some((p) => p.out === 'error')) return undefined;
    const absent = read ? value === 'absent' : parts.every((p) => p.out === 'absent');
    if (absent && optional) return undefined;
    const missing = [...(read && value === 'absent' ? [{ what: label, src: read.source }] : []),
      ...parts.filter((p) => p.out === 'absent' && !p.c.optional).map((p) => ({ what: `${label} component ${p.c.code.code}`, src: p.c.read.source }))];
    if (missing.length > 0) {
      for (const m of missing) run.issues.add('required', `${m.what}: required value is missing (nothing at ${m.src.text})`, m.src.where);
      return undefined;
    }
    const present = parts.filter((p): p is { c: CompiledComponent; out: ValueOut } => typeof p.out === 'object');
    return assemble(spec, run, value as ValueOut | undefined, present.map((p) => ({ code: concept(p.c.code), ...p.out })));
  };
}

/** Element order follows the R4 Observation definition so output is stable and readable. */
function assemble(spec: ObservationSpec, run: ObservationRun, value: ValueOut | undefined, components: ObservationComponent[]): Observation {
  const identifier = observationIdentifier(run.deviceId, run.key, spec.code.code);
  // Built key by key (code and status are set below) so JSON key order is fixed: same payload, same bytes.
  const obs = { resourceType: 'Observation', id: observationId(identifier.value as string) } as Observation;
  if (spec.profile) obs.meta = { profile: [spec.profile] };
  obs.identifier = [identifier];
  obs.status = 'final';
  if (spec.category) obs.category = [{ coding: [{ system: CATEGORY_SYSTEM, code: spec.category, display: CATEGORY_DISPLAY[spec.category] }] }];
  obs.code = concept(spec.code);
  obs.subject = { reference: run.subject };
  obs.effectiveDateTime = run.effective;
  if (value) Object.assign(obs, value);
  obs.device = { reference: `Device/${run.deviceId}` };
  if (components.length > 0) obs.component = components;
  return obs;
}
