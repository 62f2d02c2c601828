import type { CodeSystem, CodeSystemConcept, ValueSet, ValueSetComposeInclude } from 'fhir/r4';

/** The codes of an expanded value set; `system|code` pairs plus bare codes (for `code`-typed elements). */
export interface Expansion {
  readonly url: string;
  readonly pairs: ReadonlySet<string>;
  readonly codes: ReadonlySet<string>;
}

/**
 * Expands value sets from the local definitions only — no terminology server. A value set is expandable when
 * every include/exclude is an explicit concept list, a whole code system whose content is `complete`, or another
 * expandable value set. Filters (is-a …) and external systems (LOINC, SNOMED CT, UCUM without a list) are not
 * guessed: `expand` returns undefined and the binding is not checked.
 * See: https://hl7.org/fhir/R4/valueset.html#compositions
 */
/** Versioned canonicals come from profiles, not instances; still, bound the aliases kept. */
const MAX_CANONICALS = 5_000;

export class ValueSetIndex {
  private readonly valueSets = new Map<string, ValueSet>();
  private readonly codeSystems = new Map<string, CodeSystem>();
  private readonly cache = new Map<string, Expansion | null>();
  /** URLs of value sets that are not also a code system's, made once: asked for every Coding.system. */
  private readonly valueSetOnly = new Set<string>();

  constructor(valueSets: readonly ValueSet[], codeSystems: readonly CodeSystem[]) {
    for (const vs of valueSets) if (vs.url) this.valueSets.set(vs.url, vs);
    for (const cs of codeSystems) if (cs.url) this.codeSystems.set(cs.url, cs);
    for (const url of this.valueSets.keys()) if (!this.codeSystems.has(url)) this.valueSetOnly.add(url);
  }

  /** True for the canonical URL of a known value set that is not also a code system's (Coding.system misuse). */
  isValueSetOnly(url: string): boolean {
    return this.valueSetOnly.has(url);
  }

  /** Expansion of a canonical (a `|version` suffix is ignored), or undefined when not expandable locally. */
  expand(canonical: string): Expansion | undefined {
    const hit = this.cache.get(canonical);
    if (hit !== undefined) return hit ?? undefined;
    const url = canonical.split('|')[0] ?? canonical;
    if (!this.cache.has(url)) {
      this.cache.set(url, null); // guards against include cycles
      this.cache.set(url, this.compute(url) ?? null);
    }
    const found = this.cache.get(url) ?? null;
    if (canonical !== url && this.cache.size < MAX_CANONICALS) this.cache.set(canonical, found); // versioned alias
    return found ?? undefined;
  }

  private compute(url: string): Expansion | undefined {
    const compose = this.valueSets.get(url)?.compose;
    if (!compose) return undefined;
    const pairs = new Set<string>();
    for (const inc of compose.include) {
      const part = this.includePairs(inc);
      if (part === undefined) return undefined;
      for (const p of part) pairs.add(p);
    }
    for (const exc of compose.exclude ?? []) {
      const part = this.includePairs(exc);
      if (part === undefined) return undefined;
      for (const p of part) pairs.delete(p);
    }
    const codes = new Set([...pairs].map((p) => p.slice(p.lastIndexOf('|') + 1)));
    return { url, pairs, codes };
  }

  private includePairs(inc: ValueSetComposeInclude): string[] | undefined {
    if (inc.filter?.length) return undefined;
    let pairs: string[] | undefined;
    if (inc.system !== undefined) {
      pairs = inc.concept ? inc.concept.map((c) => `${inc.system}|${c.code}`) : this.wholeSystem(inc.system);
      if (pairs === undefined) return undefined;
    }
    for (const vsUrl of inc.valueSet ?? []) {
      const other = this.expand(vsUrl);
      if (other === undefined) return undefined;
      pairs = pairs === undefined ? [...other.pairs] : pairs.filter((p) => other.pairs.has(p));
    }
    return pairs;
  }

  private wholeSystem(system: string): string[] | undefined {
    const cs = this.codeSystems.get(system);
    if (cs?.content !== 'complete' || !cs.concept) return undefined;
    const out: string[] = [];
    const walk = (concepts: CodeSystemConcept[]): void => {
      for (const c of concepts) {
        out.push(`${system}|${c.code}`);
        if (c.concept) walk(c.concept);
      }
    };
    walk(cs.concept);
    return out;
  }
}
