import { watch, type FSWatcher } from 'node:fs';
import type { FhirError } from '../errors/fhir-error';
import { loadMappings } from './load';
import { mappingRegistry, type MappingRegistry } from './registry';
import type { CompiledMapping } from './types';

/** What a reload did: the new ids, or why the old set stayed in service. */
export type ReloadResult = { ok: true; ids: string[] } | { ok: false; error: Error };

export interface WatchOptions {
  /** Called after every reload attempt (tests wait on it instead of sleeping; the composition root logs it). */
  onReload?: (result: ReloadResult) => void;
  /** Coalesce bursts of file events (an editor's save is several) into one reload. Default 100 ms. */
  debounceMs?: number;
  /** The already compiled set (start-up compiled it, and failed start-up on errors). */
  initial?: readonly CompiledMapping[];
}

export interface MappingWatcher {
  readonly registry: MappingRegistry;
  /** Reload now: compile every file, swap atomically on success, keep the old set on any error. */
  reload(): ReloadResult;
  close(): void;
}

/**
 * Hot reload of the mappings folder: a changed, added or removed file recompiles the WHOLE set (ids must stay
 * unique across files) and swaps it in atomically. A set that fails to compile is refused and the previous one
 * keeps serving — the error, with file and line, goes to `onReload`.
 * @example const w = watchMappings('mappings', { onReload: (r) => log(r) }); w.registry.current()
 */
export function watchMappings(dir: string, options: WatchOptions = {}): MappingWatcher {
  const registry = mappingRegistry(options.initial ?? loadMappings(dir));
  const reload = (): ReloadResult => {
    let result: ReloadResult;
    try {
      const next = loadMappings(dir);
      registry.replace(next);
      result = { ok: true, ids: next.map((m) => m.id) };
    } catch (error) {
      result = { ok: false, error: error as FhirError | Error };
    }
    options.onReload?.(result);
    return result;
  };
  let timer: NodeJS.Timeout | undefined;
  // `recursive` covers the family folders (Linux support since Node 20).
  const watcher: FSWatcher = watch(dir, { recursive: true, persistent: false }, () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, options.debounceMs ?? 100);
    timer.unref();
  });
  return {
    registry,
    reload,
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
