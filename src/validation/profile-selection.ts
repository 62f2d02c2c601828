import type { StructureDefinition } from 'fhir/r4';
import { fixedAndPattern } from './fixed-pattern';
import type { CompiledProfile } from './profile-model';
import type { ValueSetIndex } from './value-sets';

/** See: https://hl7.org/fhir/R4/observation-vitalsigns.html */
export const VITAL_SIGNS_URL = 'http://hl7.org/fhir/StructureDefinition/vitalsigns';
const LOINC = 'http://loinc.org';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Which vital-signs profile a LOINC code calls for. Derived from the definitions, not a hand-kept table: each
 * profile derived from vitalsigns names its code in its snapshot (`Observation.code.coding:<slice>.code` fixed,
 * next to a fixed LOINC system, or a fixed/pattern `Observation.code`); any other code of the vitalsigns
 * `Observation.code` value set gets the generic vitalsigns profile.
 * The HL7 validator applies these automatically in R4 ("magic LOINC codes"); so do we.
 */
export interface VitalSignsMap {
  readonly byCode: ReadonlyMap<string, string>;
  readonly generic: ReadonlySet<string>;
}

export function deriveVitalSigns(
  sds: ReadonlyMap<string, StructureDefinition>,
  profiles: ReadonlyMap<string, CompiledProfile>,
  valueSets: ValueSetIndex,
): VitalSignsMap {
  const byCode = new Map<string, string>();
  for (const p of profiles.values()) {
    const sd = sds.get(p.url);
    if (sd === undefined || p.url === VITAL_SIGNS_URL || !p.lineage.has(VITAL_SIGNS_URL)) continue;
    for (const code of declaredLoincCodes(sd)) if (!byCode.has(code)) byCode.set(code, p.url);
  }
  const generic = new Set<string>();
  const binding = sds.get(VITAL_SIGNS_URL)?.snapshot?.element.find((e) => e.path === 'Observation.code')?.binding;
  const expansion = binding?.valueSet ? valueSets.expand(binding.valueSet) : undefined;
  for (const pair of expansion?.pairs ?? []) if (pair.startsWith(`${LOINC}|`)) generic.add(pair.slice(LOINC.length + 1));
  return { byCode, generic };
}

function declaredLoincCodes(sd: StructureDefinition): string[] {
  const out: string[] = [];
  const elements = sd.snapshot?.element ?? [];
  for (const el of elements) {
    const id = el.id ?? el.path;
    const { fixed, pattern } = fixedAndPattern(el);
    const value = fixed ?? pattern;
    if (/^Observation\.code\.coding:[^.]+\.code$/.test(id) && typeof value === 'string') {
      const system = elements.find((e) => (e.id ?? e.path) === `${id.slice(0, -5)}.system`);
      const declared = system === undefined ? undefined : fixedAndPattern(system);
      if ((declared?.fixed ?? declared?.pattern) === LOINC) out.push(value);
    } else if (id === 'Observation.code' && isObject(value) && Array.isArray(value.coding)) {
      for (const c of value.coding) if (isObject(c) && c.system === LOINC && typeof c.code === 'string') out.push(c.code);
    }
  }
  return out;
}

/**
 * Profiles to apply: automatic vital-signs ones, `meta.profile`, and those asked for by the caller; without the
 * `|version`, each once, in that order. Built in one small array (runs once per validation).
 */
export function requestedProfiles(resource: Json, vitals: VitalSignsMap, extra: readonly string[] | undefined): string[] {
  const urls: string[] = [];
  if (resource.resourceType === 'Observation') autoProfiles(resource, vitals, urls);
  const meta = resource.meta;
  if (isObject(meta) && Array.isArray(meta.profile)) for (const p of meta.profile) if (typeof p === 'string') addOnce(urls, p);
  if (extra !== undefined) for (const p of extra) addOnce(urls, p);
  return urls;
}

function addOnce(urls: string[], url: string): void {
  const bar = url.indexOf('|');
  const plain = bar < 0 ? url : url.slice(0, bar);
  if (!urls.includes(plain)) urls.push(plain);
}

/**
 * SNOMED CT codes the HL7 validator also treats as vital signs, then requiring the LOINC code the profile names
 * ("magic LOINC code 8310-5 required"). Seen in fhir-test-cases obs-temp-bad; only codes we have seen it do so.
 */
const SNOMED_VITALS: Readonly<Record<string, string>> = { '276885007': 'http://hl7.org/fhir/StructureDefinition/bodytemp' };

function autoProfiles(obs: Json, vitals: VitalSignsMap, urls: string[]): void {
  const codings = isObject(obs.code) && Array.isArray(obs.code.coding) ? obs.code.coding : [];
  for (const c of codings) {
    const snomed = isObject(c) && c.system === 'http://snomed.info/sct' && typeof c.code === 'string' ? SNOMED_VITALS[c.code] : undefined;
    if (snomed !== undefined) addOnce(urls, snomed);
    if (!isObject(c) || c.system !== LOINC || typeof c.code !== 'string') continue;
    const url = vitals.byCode.get(c.code) ?? (vitals.generic.has(c.code) ? VITAL_SIGNS_URL : undefined);
    if (url !== undefined) addOnce(urls, url);
  }
}

/** Drops a profile when a more specific one that derives from it is applied too (its snapshot includes it). */
export function mostSpecific(profiles: CompiledProfile[]): CompiledProfile[] {
  return profiles.filter((p) => !profiles.some((q) => q !== p && q.lineage.has(p.url)));
}
