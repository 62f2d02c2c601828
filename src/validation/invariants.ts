import type { ElementDefinitionConstraint } from 'fhir/r4';

/**
 * FHIRPath invariants evaluated natively (no FHIRPath engine on the hot path). Only the cheap, frequent ones
 * relevant to device data are here; the rest (ele-1 is covered structurally; dom-*, qty-3, ref-1, per-1, …)
 * are left to the FHIRPath stage of a later issue.
 * See: https://hl7.org/fhir/R4/observation.html#invs and https://hl7.org/fhir/R4/vitalsigns.html
 */
export type InvariantTest = (value: unknown) => boolean;

export interface CompiledInvariant {
  readonly key: string;
  readonly severity: 'error' | 'warning';
  readonly human: string;
  readonly test: InvariantTest;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (v: Json, key: string): boolean => v[key] !== undefined || v[`_${key}`] !== undefined;
/** `x.exists()` for a choice element `x[x]`: any key `x` + an upper-case type name. */
const hasChoice = (v: Json, prefix: string): boolean =>
  Object.keys(v).some((k) => k.length > prefix.length && k.startsWith(prefix) && isUpper(k.charCodeAt(prefix.length)));
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

const NATIVE: Readonly<Record<string, InvariantTest>> = {
  // extension.exists() != value.exists()
  'ext-1': (v) => !isObject(v) || has(v, 'extension') !== hasChoice(v, 'value'),
  // dataAbsentReason.empty() or value.empty()
  'obs-6': (v) => !isObject(v) || !(has(v, 'dataAbsentReason') && hasChoice(v, 'value')),
  // value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()
  'obs-7': (v) => !isObject(v) || !hasChoice(v, 'value') || !componentRepeatsCode(v),
  // low.exists() or high.exists() or text.exists()
  'obs-3': (v) => !isObject(v) || has(v, 'low') || has(v, 'high') || has(v, 'text'),
  // ($this as dateTime).toString().length() >= 8  — a dateTime effective[x] must be precise to the day
  'vs-1': (v) => typeof v !== 'string' || v.length >= 8,
  // (component.empty() and hasMember.empty()) implies (dataAbsentReason.exists() or value.exists())
  'vs-2': (v) =>
    !isObject(v) || has(v, 'component') || has(v, 'hasMember') || has(v, 'dataAbsentReason') || hasChoice(v, 'value'),
  // value.exists() or dataAbsentReason.exists()
  'vs-3': (v) => !isObject(v) || hasChoice(v, 'value') || has(v, 'dataAbsentReason'),
};

function componentRepeatsCode(obs: Json): boolean {
  const codings = list(isObject(obs.code) ? obs.code.coding : undefined);
  if (codings.length === 0) return false;
  return list(obs.component).some((c) =>
    list(isObject(c) && isObject(c.code) ? c.code.coding : undefined).some((cc) =>
      codings.some((oc) => sameCoding(oc, cc)),
    ),
  );
}

/** FHIRPath equality of two Codings: same properties, same values. */
function sameCoding(a: unknown, b: unknown): boolean {
  if (!isObject(a) || !isObject(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

/** Keeps the constraints we evaluate natively, in definition order; `accept` filters by source/novelty. */
export function compileInvariants(
  constraints: readonly ElementDefinitionConstraint[] | undefined,
  accept: (c: ElementDefinitionConstraint) => boolean = () => true,
): CompiledInvariant[] {
  const out: CompiledInvariant[] = [];
  for (const c of constraints ?? []) {
    const test = NATIVE[c.key];
    if (test === undefined || !accept(c)) continue;
    const severity = c.severity === 'warning' ? 'warning' : 'error';
    out.push({ key: c.key, severity, human: c.human, test });
  }
  return out;
}

/** Invariant keys this engine evaluates (for documentation and tests). */
export const NATIVE_INVARIANTS: readonly string[] = Object.keys(NATIVE);
