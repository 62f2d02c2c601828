import type { CodeableConcept, Observation, ObservationComponent } from 'fhir/r4';
import { coding, compileValue, type ValueOut, type ValueReader } from './compile-value';
import { definitionError, docPathText, type CompileContext } from './compile-context';
import { compileMatch, type MatchFn } from './compile-match';
import { compileTimestamp, type TimestampReader } from './compile-message';
import { observationId, observationIdentifier } from './observation-identity';
import type { Zone } from './date-time';
import type { DocPath } from './parse-mapping-text';
import type { AbsentPolicy, CategoryCode, CodingSpec, ComponentSpec, ObservationSpec } from './mapping-document';
import type { RunIssues } from './run-issues';
import type { Read } from './compile-quantity';

/** What an observation builder needs from the payload-level steps. */
export interface ObservationRun {
  /** The run scope: `$` the item, `@` the current reading; issues and trace. */
  readonly run: RunIssues;
  readonly deviceId: string;
  /** `Patient/ID`. */
  readonly subject: string;
  readonly effective: string;
  /** Message id (plus the reading's index in a batch), or the reading's UTC timestamp. */
  readonly key: string;
}

/** One observation of a mapping: whether it applies to the current reading (`when`), and how to build it. */
export interface ObservationBuilder {
  /** True when the observation's `when` rule holds for the run's current reading (always, without one). */
  applies(run: RunIssues): boolean;
  /** One Observation, or undefined when it is skipped (absent value) or an issue was recorded. */
  build(r: ObservationRun): Observation | undefined;
}

const CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';
// Displays from the CodeSystem. See: https://terminology.hl7.org/CodeSystem-observation-category.html
const CATEGORY_DISPLAY: Readonly<Record<CategoryCode, string>> = {
  'social-history': 'Social History', 'vital-signs': 'Vital Signs', imaging: 'Imaging', laboratory: 'Laboratory',
  procedure: 'Procedure', survey: 'Survey', exam: 'Exam', therapy: 'Therapy', activity: 'Activity',
};
// See: https://terminology.hl7.org/CodeSystem-data-absent-reason.html
const DAR = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';
const absentReason = (why: 'absent' | 'nan'): CodeableConcept => ({
  coding: [why === 'nan' ? { system: DAR, code: 'not-a-number', display: 'Not a Number (NaN)' } : { system: DAR, code: 'unknown', display: 'Unknown' }],
});

const codings = (c: CodingSpec | CodingSpec[]): CodingSpec[] => (Array.isArray(c) ? c : [c]);
const concept = (c: CodingSpec | CodingSpec[]): CodeableConcept => ({ coding: codings(c).map(coding) });
const labelOf = (c: CodingSpec | CodingSpec[]): string => {
  const first = codings(c)[0] as CodingSpec;
  return `Observation ${first.code}${first.display ? ` (${first.display})` : ''}`;
};
const policyOf = (s: { absent?: AbsentPolicy; optional?: boolean }): AbsentPolicy => s.absent ?? (s.optional ? 'skip' : 'error');
const isAbsentRead = (r: Read<ValueOut>): r is 'absent' | 'nan' => r === 'absent' || r === 'nan';

interface CompiledComponent {
  readonly spec: ComponentSpec;
  readonly policy: AbsentPolicy;
  readonly read: ValueReader;
}

export function compileObservation(spec: ObservationSpec, at: DocPath, ctx: CompileContext, zone: Zone | undefined): ObservationBuilder {
  if (!spec.value && !spec.components) throw definitionError(ctx, at, 'an observation needs a value, components, or both');
  const read = spec.value ? compileValue(spec.value, [...at, 'value'], ctx, zone) : undefined;
  const components: CompiledComponent[] = (spec.components ?? []).map((c, i) => ({ spec: c, policy: policyOf(c), read: compileValue(c.value, [...at, 'components', i, 'value'], ctx, zone) }));
  const when: MatchFn | undefined = spec.when ? compileMatch(spec.when, [...at, 'when'], ctx) : undefined;
  const period = spec.period ? { start: compileTimestamp(spec.period.start, [...at, 'period', 'start'], ctx, zone), end: compileTimestamp(spec.period.end, [...at, 'period', 'end'], ctx, zone) } : undefined;
  const label = labelOf(spec.code);
  const policy = policyOf(spec);
  const where = docPathText(at);
  const applies = (run: RunIssues): boolean => {
    if (!when || when(run)) return true;
    run.trace?.push({ step: 'skipped', at: where, note: `${label}: "when" does not hold for this reading` });
    return false;
  };
  const build = (r: ObservationRun): Observation | undefined => {
    const { run } = r;
    const value = read ? read.read(run, label, policy === 'data-absent-reason') : undefined;
    const parts = components.map((c) => ({ c, out: c.read.read(run, `${label} component ${codings(c.spec.code)[0]?.code}`, c.policy === 'data-absent-reason') }));
    if (value === 'error' || parts.some((p) => p.out === 'error')) return undefined;
    const allAbsent = read ? isAbsentRead(value as Read<ValueOut>) : parts.every((p) => isAbsentRead(p.out));
    if (allAbsent && policy === 'skip') {
      run.trace?.push({ step: 'skipped', at: where, note: `${label}: value absent (absent: skip)` });
      return undefined;
    }
    const missing = parts.filter((p) => isAbsentRead(p.out) && p.c.policy === 'error').map((p) => ({ what: `${label} component ${codings(p.c.spec.code)[0]?.code}`, src: p.c.read.source }));
    if (allAbsent && policy === 'error' && (read || missing.length === 0)) missing.unshift({ what: label, src: (read ?? (components[0] as CompiledComponent).read).source });
    if (missing.length > 0) {
      for (const m of missing) run.add('required', `${m.what}: required value is missing (nothing at ${m.src.text})`, m.src.where);
      return undefined;
    }
    const effective = period ? readPeriod(period, run) : r.effective;
    if (effective === undefined) return undefined;
    const out = components.length > 0 ? componentsOf(parts) : [];
    // Only components, none present, absent: data-absent-reason → the observation itself says why.
    const obs = assemble(spec, r, effective, !read && out.length === 0 ? 'absent' : value, out);
    run.trace?.push({ step: 'produced', at: where, value: `Observation/${obs.id}` });
    return obs;
  };
  return { applies, build };
}

function readPeriod(p: { start: TimestampReader; end: TimestampReader }, run: RunIssues): { start: string; end: string } | undefined {
  const start = p.start(run);
  const end = p.end(run);
  return start && end ? { start: start.effective, end: end.effective } : undefined;
}

function componentsOf(parts: Array<{ c: CompiledComponent; out: Read<ValueOut> }>): ObservationComponent[] {
  const out: ObservationComponent[] = [];
  for (const { c, out: v } of parts) {
    if (isAbsentRead(v)) {
      if (c.policy === 'data-absent-reason') out.push({ code: concept(c.spec.code), dataAbsentReason: absentReason(v) });
      continue; // skip (or, for an all-absent observation under its own policy, nothing to say)
    }
    out.push({ code: concept(c.spec.code), ...(v as ValueOut) });
  }
  return out;
}

/** Element order follows the R4 Observation definition so output is stable and readable. */
function assemble(spec: ObservationSpec, r: ObservationRun, effective: string | { start: string; end: string }, value: Read<ValueOut> | undefined, components: ObservationComponent[]): Observation {
  const identifier = observationIdentifier(r.deviceId, r.key, (codings(spec.code)[0] as CodingSpec).code);
  // Built key by key (code and status are set below) so JSON key order is fixed: same payload, same bytes.
  const obs = { resourceType: 'Observation', id: observationId(identifier.value as string) } as Observation;
  if (spec.profile) obs.meta = { profile: codingsList(spec.profile) };
  obs.identifier = [identifier];
  obs.status = 'final';
  if (spec.category) obs.category = [{ coding: [{ system: CATEGORY_SYSTEM, code: spec.category, display: CATEGORY_DISPLAY[spec.category] }] }];
  obs.code = concept(spec.code);
  obs.subject = { reference: r.subject };
  if (typeof effective === 'string') obs.effectiveDateTime = effective;
  else obs.effectivePeriod = effective;
  if (value !== undefined && isAbsentRead(value)) obs.dataAbsentReason = absentReason(value);
  else if (value !== undefined) Object.assign(obs, value);
  if (spec.bodySite) obs.bodySite = { coding: [coding(spec.bodySite)] };
  if (spec.method) obs.method = { coding: [coding(spec.method)] };
  obs.device = { reference: `Device/${r.deviceId}` };
  if (components.length > 0) obs.component = components;
  return obs;
}

const codingsList = (p: string | string[]): string[] => (Array.isArray(p) ? [...p] : [p]);
