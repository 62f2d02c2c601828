import type { ElementDefinitionSlicing } from 'fhir/r4';
import { containsPattern, deepEqual } from './fixed-pattern';
import type { ConstraintNode } from './profile-model';

/**
 * Slicing: which slice an item of a repeating (or choice) element belongs to, decided by discriminators.
 * Supported here: `value` and `pattern` discriminators over a plain path (read from the slice's fixed[x] /
 * pattern[x], or an extension slice's type profile for `url`), and `type` on `$this`. Anything else (`profile`,
 * `exists`, `resolve()`, `ofType()`, `extension(…)`) marks the slicing unsupported: it is then not checked at all,
 * rather than guessed. See: https://hl7.org/fhir/R4/profiling.html#discriminator
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
  match?: (item: SliceItem) => boolean;
}

/** One instance value of the sliced element, with its datatype (known from the JSON key for choice types). */
export interface SliceItem {
  readonly value: unknown;
  readonly type: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function compileSlicing(slicing: Slicing): void {
  const discriminators = slicing.rules.discriminator ?? [];
  slicing.discriminators = discriminators.map((d) => `${d.type}:${d.path}`);
  if (discriminators.length === 0) slicing.supported = false;
  for (const slice of slicing.slices) {
    const tests = discriminators.map((d) => discriminatorTest(d.type, d.path, slice.node));
    if (tests.some((t) => t === undefined)) {
      slicing.supported = false;
      return;
    }
    const ready = tests as Array<(item: SliceItem) => boolean>;
    slice.match = (item) => ready.every((t) => t(item));
  }
}

function discriminatorTest(kind: string, path: string, node: ConstraintNode): ((item: SliceItem) => boolean) | undefined {
  if (kind === 'type') {
    if (path !== '$this') return undefined;
    const types = new Set(node.types);
    return (item) => types.has(item.type);
  }
  if (kind !== 'value' && kind !== 'pattern') return undefined;
  const segments = path === '$this' ? [] : path.split('.');
  if (segments.some((s) => !/^[A-Za-z][A-Za-z0-9]*$/.test(s))) return undefined;
  const expected = expectedAt(node, segments);
  if (expected === undefined) return undefined;
  return (item) => valuesAt(item.value, segments).some((v) => expected(v));
}

/** The fixed/pattern value the slice declares at a discriminator path, as a predicate. */
function expectedAt(node: ConstraintNode, segments: string[]): ((v: unknown) => boolean) | undefined {
  const at = declaredAt(node, segments, 0);
  if (at?.fixed !== undefined) {
    const fixed = at.fixed;
    return (v) => deepEqual(v, fixed);
  }
  if (at?.pattern !== undefined) {
    const pattern = at.pattern;
    return (v) => containsPattern(v, pattern);
  }
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
  const candidates = [node.children, ...(node.slicing?.slices ?? []).map((s) => s.node.children)].flat();
  for (const c of candidates) {
    if (c.name !== segments[i]) continue;
    const found = declaredAt(c, segments, i + 1);
    if (found) return found;
  }
  return undefined;
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
