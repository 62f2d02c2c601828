import type { CompiledMapping } from './types';

/**
 * The mappings in service. Readers take `current()` once per request, so a request runs on one consistent
 * set even while a hot reload swaps in the next one (the swap is a single reference assignment).
 */
export interface MappingRegistry {
  current(): readonly CompiledMapping[];
}

/** A registry whose set can be replaced as a whole. */
export interface MutableMappingRegistry extends MappingRegistry {
  replace(next: readonly CompiledMapping[]): void;
}

/** @example const registry = mappingRegistry(loadMappings('mappings')); registry.current() */
export function mappingRegistry(initial: readonly CompiledMapping[]): MutableMappingRegistry {
  let set = Object.freeze([...initial]);
  return {
    current: () => set,
    replace(next) {
      set = Object.freeze([...next]);
    },
  };
}
