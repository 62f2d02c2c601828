import type { ElementDefinitionSlicing } from 'fhir/r4';
import { containsPattern, deepEqual } from './fixed-pattern';
import type { ConstraintNode } from './profile-model';

/**
 * Slicing: which slice an item of a repeating (or choice) element belongs to, decided by discriminators.
 * Supported: `value` / `pattern` over a plain path (read from the slice's fixed[x] / pattern[x] at that path or
 * projected from one declared higher up, or an extension slice's type profile for `url`), `exists`, `type` (on
 * `$this` or a path: the datatype, or the resourceType of a resource), and `profile` (the value conforms to the
 * profile the slice names at that path). A slice that declares nothing for one of several discriminators is not
 * constrained by it. Anything else (`resolve()`, `ofType()`, `extension(…)` paths) marks the slicing unsupported:
 * it is then not checked at all, rather than guessed.
 * See: https://hl7.org/fhir/R4/profiling.html#discriminator
 */
export interface Slicing {
  readonly rules: ElementDefinitionSlicing;
  readonly slices: Slice[];
  supported: boolean;
  discriminators: string[];
}

export interface Slice {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly node: ConstraintNode;
  match?: SliceTest;
}

/** One instance value of the sliced element, with its datatype (known from the JSON key for choice types). */
export interface SliceItem {
  readonly value: unknown;
  readonly type: string;
}

/** What a discriminator may need from the validator: does a value conform to a profile? */
export interface SliceHooks {
  conforms(value: unknown, profile: string): boolean;
}

export type SliceTest = (item: SliceItem, hooks: SliceHooks) => boolean;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function compileSlicing(slicing: Slicing): void {
  const discriminators = slicing.rules.discriminator ?? [];
  slicing.discriminators = discriminators.map((d) => `${d.type}:${d.path}`);
  if (discriminators.length === 0) slicing.supported = false;
  for (const slice of slicing.slices) {
    const segmentsOk = discriminators.every((d) => d.path === '$this' || d.path.split('.').every((s) => /^[A-Za-z][A-Za-z0-9]*$/.test(s)));
    const tests = segmentsOk ? discriminators.map((d) => discriminatorTest(d.type, d.path, slice.node)) : [];
    const ready = tests.filter((t): t is SliceTest => t !== undefined);
    if (ready.length === 0) {
      slicing.supported = false;
      return;
    }
    const only = ready.length === 1 ? ready[0] : undefined;
    slice.match = only ?? ((item, hooks) => ready.every((t) => t(item, hooks)));
  }
}

function discriminatorTest(kind: string, path: string, node: ConstraintNode): SliceTest | undefined {
  const segments = path === '$this' ? [] : path.split('.');
  const at = nodeAt(node, segments, 0);
  if (kind === 'type') {
    const types = new Set(segments.length === 0 ? node.types : at?.types ?? []);
    if (types.size === 0) return undefined;
    if (segments.length === 0) return (item) => types.has(item.type);
    const isType = (v: unknown): boolean => isObject(v) && types.has(String(v.resourceType));
    return (item) => someAt(item.value, segments, 0, isType);
  }
  if (kind === 'profile') {
    const profiles = at?.typeProfiles ?? [];
    if (profiles.length === 0) return undefined;
    return (item, hooks) => someAt(item.value, segments, 0, (v) => profiles.some((p) => hooks.conforms(v, p)));
  }
  if (kind === 'exists') {
    if (at?.min === undefined && at?.max === undefined) return undefined;
    const present = (at.min ?? 0) > 0;
    return (item) => someAt(item.value, segments, 0, always) === present;
  }
  if (kind !== 'value' && kind !== 'pattern') return undefined;
  const expected = expectedAt(node, segments);
  if (expected === undefined) return undefined;
  return (item) => someAt(item.value, segments, 0, expected);
}

/** The fixed/pattern value the slice declares at a discriminator path, as a predicate. */
function expectedAt(node: ConstraintNode, segments: string[]): ((v: unknown) => boolean) | undefined {
  const at = declaredAt(node, segments, 0);
  if (at !== undefined) return at.fixed !== undefined ? (v) => deepEqual(v, at.fixed) : (v) => containsPattern(v, at.pattern);
  // A value declared higher up, e.g. fixedContactPoint { use: home } on the slice with discriminator `use`.
  const own = node.fixed ?? node.pattern;
  const projected = own === undefined ? [] : valuesAt(own, segments);
  if (segments.length > 0 && projected.length === 1) return (v) => deepEqual(v, projected[0]);
  // Extensions are sliced by url; the slice names the extension through its type profile.
  const url = segments.length === 1 && segments[0] === 'url' ? node.typeProfile : undefined;
  return url === undefined ? undefined : (v) => v === url;
}

/**
 * The node declaring a fixed/pattern value at the path. The value may sit inside a nested slice, as in the bp
 * profile: `component` is discriminated by `code.coding.code`, whose fixed value is on
 * `Observation.component:SystolicBP.code.coding:SBPCode.code`.
 */
function declaredAt(node: ConstraintNode, segments: string[], i: number): ConstraintNode | undefined {
  if (i === segments.length) return node.fixed !== undefined || node.pattern !== undefined ? node : undefined;
  for (const c of childrenOf(node)) {
    if (c.name !== segments[i]) continue;
    const found = declaredAt(c, segments, i + 1);
    if (found) return found;
  }
  return undefined;
}

/** The (first) node at a path below the slice, for type / profile / exists discriminators. */
function nodeAt(node: ConstraintNode, segments: string[], i: number): ConstraintNode | undefined {
  if (i === segments.length) return node;
  const next = childrenOf(node).find((c) => c.name === segments[i] || c.name === `${segments[i] ?? ''}[x]`);
  return next === undefined ? undefined : nodeAt(next, segments, i + 1);
}

const childrenOf = (node: ConstraintNode): ConstraintNode[] =>
  [node.children, ...(node.slicing?.slices ?? []).map((s) => s.node.children)].flat();

const always = (): boolean => true;

/**
 * `valuesAt(value, segments.slice(i)).some(test)`, in the same order, without making the arrays (hot: run for
 * every item of a sliced element against every slice).
 */
function someAt(value: unknown, segments: readonly string[], i: number, test: (v: unknown) => boolean): boolean {
  if (i === segments.length) return test(value);
  const child = isObject(value) ? value[segments[i] as string] : undefined;
  if (Array.isArray(child)) {
    for (let k = 0; k < child.length; k++) if (someAt(child[k], segments, i + 1, test)) return true;
    return false;
  }
  return child !== undefined && someAt(child, segments, i + 1, test);
}

/** FHIRPath-style navigation: every value reached through the path, arrays flattened. */
function valuesAt(value: unknown, segments: string[]): unknown[] {
  let current: unknown[] = [value];
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const v of current) {
      const child = isObject(v) ? v[seg] : undefined;
      if (Array.isArray(child)) next.push(...child);
      else if (child !== undefined) next.push(child);
    }
    current = next;
  }
  return current;
}
