import type { ElementDefinition, StructureDefinition } from 'fhir/r4';

/**
 * Generates a snapshot from a differential over its base's snapshot, for the profiles we write ourselves
 * (profiles/): merging by element id, unfolding datatype children (`Observation.value[x].system` from
 * `Quantity.system`) and slices (`Device.identifier:serial`, copied from the sliced element and its children).
 * Deliberately small: it covers what a hand-written differential needs, not every rule of the spec's algorithm
 * (no re-slicing, no type-slices of choice elements `value[x]:valueQuantity`).
 * See: https://hl7.org/fhir/R4/profiling.html#snapshot
 *
 * @throws Error naming the element when the differential refers to an element the base does not have.
 * @example
 * const sd = generateSnapshot(profile, (url) => byUrl.get(url));
 */
export function generateSnapshot(
  sd: StructureDefinition,
  resolve: (url: string) => StructureDefinition | undefined,
): StructureDefinition {
  const base = resolve(sd.baseDefinition ?? '');
  if (base?.snapshot === undefined) throw new Error(`Profile ${sd.url}: base ${sd.baseDefinition ?? '(none)'} is unknown or has no snapshot`);
  const elements: ElementDefinition[] = base.snapshot.element.map((e) => ({ ...e }));
  const typeOf = (code: string): ElementDefinition[] => resolve(`http://hl7.org/fhir/StructureDefinition/${code}`)?.snapshot?.element ?? [];
  for (const diff of sd.differential?.element ?? []) {
    // An element's path is its id without slice names. See: https://hl7.org/fhir/R4/elementdefinition.html#id
    if (diff.id !== undefined && diff.id.replace(/:[^.]+/g, '') !== diff.path) {
      throw new Error(`Profile ${sd.url}: element ${diff.id} has path ${diff.path}; the path must be the id without slice names`);
    }
    const { id, type } = choiceRenamed(elements, diff.id ?? diff.path);
    const at = ensure(elements, id, typeOf, sd.url);
    const merged = merge(elements[at] as ElementDefinition, diff);
    if (type !== undefined && diff.type === undefined) merged.type = [{ code: type }];
    elements[at] = merged;
  }
  return { ...sd, snapshot: { element: elements } };
}

/**
 * Gives every profile given only as a differential a snapshot over its base (a core definition in `known` or
 * another of `profiles`, in any order); profiles that have a snapshot are returned as they are.
 */
export function completeSnapshots(profiles: readonly StructureDefinition[], known: readonly StructureDefinition[]): StructureDefinition[] {
  const byUrl = new Map<string, StructureDefinition>(known.map((sd) => [sd.url, sd]));
  const pending = new Map(profiles.map((sd) => [sd.url, sd]));
  const remember = (sd: StructureDefinition): StructureDefinition => {
    byUrl.set(sd.url, sd);
    return sd;
  };
  const done = (sd: StructureDefinition): StructureDefinition => {
    if (pending.get(sd.url) !== sd) return byUrl.get(sd.url) ?? sd;
    pending.delete(sd.url);
    if (sd.snapshot?.element?.length) return remember(sd);
    const base = pending.get(sd.baseDefinition ?? '');
    if (base !== undefined) done(base);
    return remember(generateSnapshot(sd, (url) => byUrl.get(url)));
  };
  return profiles.map(done);
}

const idOf = (e: ElementDefinition): string => e.id ?? e.path;

/**
 * A differential may name a choice element by its type-specific name (`Observation.valueQuantity`): that is
 * `Observation.value[x]` restricted to Quantity. See: https://hl7.org/fhir/R4/profiling.html#choice
 */
function choiceRenamed(elements: ElementDefinition[], id: string): { id: string; type?: string } {
  if (elements.some((e) => idOf(e) === id)) return { id };
  const cut = id.lastIndexOf('.');
  const parent = id.slice(0, cut);
  const name = id.slice(cut + 1);
  for (const e of elements) {
    const eid = idOf(e);
    if (!eid.endsWith('[x]') || eid.slice(0, eid.lastIndexOf('.')) !== parent) continue;
    const stem = eid.slice(eid.lastIndexOf('.') + 1, -3);
    const rest = name.slice(stem.length);
    if (!name.startsWith(stem) || !/^[A-Z]/.test(rest)) continue;
    const type = (e.type ?? []).map((t) => t.code).find((c) => c.toLowerCase() === rest.toLowerCase());
    if (type !== undefined) return { id: eid, type };
  }
  return { id };
}

/** Index of element `id`, unfolding its ancestors (slices, datatype children) as needed. */
function ensure(elements: ElementDefinition[], id: string, typeOf: (code: string) => ElementDefinition[], url: string): number {
  const found = elements.findIndex((e) => idOf(e) === id);
  if (found >= 0) return found;
  const cut = id.lastIndexOf('.');
  const last = id.slice(cut + 1);
  const colon = last.indexOf(':');
  if (cut < 0) throw new Error(`Profile ${url}: element ${id} is not in the base`);
  if (colon >= 0) return addSlice(elements, id, `${id.slice(0, cut)}.${last.slice(0, colon)}`, typeOf, url);
  const parentAt = ensure(elements, id.slice(0, cut), typeOf, url);
  const parent = elements[parentAt] as ElementDefinition;
  if (elements.some((e) => idOf(e).startsWith(`${idOf(parent)}.`))) throw new Error(`Profile ${url}: element ${id} is not in the base`);
  const type = parent.type?.length === 1 ? parent.type[0]?.code : undefined;
  const children = type === undefined ? [] : typeOf(type).slice(1);
  if (children.length === 0) throw new Error(`Profile ${url}: element ${id} is not in the base (no single type to unfold)`);
  const unfolded = children.map((c) => rebase(c, type as string, idOf(parent), parent.path));
  elements.splice(parentAt + 1, 0, ...unfolded);
  return ensure(elements, id, typeOf, url);
}

/** Copies the sliced element and its descendants as slice `id`, after the last existing slice of it. */
function addSlice(elements: ElementDefinition[], id: string, slicedId: string, typeOf: (code: string) => ElementDefinition[], url: string): number {
  const slicedAt = ensure(elements, slicedId, typeOf, url);
  const sliced = elements[slicedAt] as ElementDefinition;
  const own = elements.filter((e) => idOf(e) === slicedId || idOf(e).startsWith(`${slicedId}.`));
  const copies = own.map((e) => {
    const copy: ElementDefinition = { ...e, id: `${id}${idOf(e).slice(slicedId.length)}` };
    delete copy.slicing;
    return copy;
  });
  (copies[0] as ElementDefinition).sliceName = id.slice(id.lastIndexOf(':') + 1);
  let end = slicedAt + 1;
  const prefix = `${slicedId}`;
  while (end < elements.length && (idOf(elements[end] as ElementDefinition).startsWith(`${prefix}.`) || idOf(elements[end] as ElementDefinition).startsWith(`${prefix}:`))) end++;
  if (sliced.slicing === undefined) throw new Error(`Profile ${url}: slice ${id} of ${slicedId}, which declares no slicing`);
  elements.splice(end, 0, ...copies);
  return end;
}

/** A datatype's element placed under an element of a profile: `Quantity.system` → `Observation.value[x].system`. */
function rebase(el: ElementDefinition, type: string, id: string, path: string): ElementDefinition {
  return { ...el, id: `${id}${idOf(el).slice(type.length)}`, path: `${path}${el.path.slice(type.length)}` };
}

/**
 * Differential wins property by property; constraints accumulate (a profile adds invariants, never removes).
 * A fixed value of the base cannot be changed: a profile only narrows what its base allows.
 * See: https://hl7.org/fhir/R4/profiling.html#constraints
 */
function merge(el: ElementDefinition, diff: ElementDefinition): ElementDefinition {
  for (const [k, v] of Object.entries(diff)) {
    const was = (el as unknown as Record<string, unknown>)[k];
    if (k.startsWith('fixed') && was !== undefined && JSON.stringify(was) !== JSON.stringify(v)) {
      throw new Error(`element ${idOf(el)}: value ${JSON.stringify(v)} conflicts with the value ${JSON.stringify(was)} fixed by the base`);
    }
  }
  const out: ElementDefinition = { ...el, ...diff, id: idOf(el), path: el.path };
  if (diff.constraint !== undefined) out.constraint = [...(el.constraint ?? []), ...diff.constraint];
  if (Object.keys(diff).some((k) => k.startsWith('fixed') || k.startsWith('pattern'))) {
    for (const k of Object.keys(el)) if ((k.startsWith('fixed') || k.startsWith('pattern')) && !(k in diff)) delete (out as unknown as Record<string, unknown>)[k];
  }
  return out;
}
