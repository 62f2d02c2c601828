import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mappingRegistry } from '../../src/mapping/registry';
import { watchMappings, type MappingWatcher, type ReloadResult } from '../../src/mapping/watch';

const SOURCE = join(__dirname, '..', '..', 'mappings');

describe('hot reload of the mappings folder', () => {
  let dir: string;
  let watcher: MappingWatcher | undefined;
  let results: ReloadResult[];
  let waiters: Array<(r: ReloadResult) => void>;
  /** Resolves with the next reload the watcher reports (no sleeping: the event is awaited). */
  const nextReload = () => new Promise<ReloadResult>((resolve) => waiters.push(resolve));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'iomt-mappings-'));
    cpSync(SOURCE, dir, { recursive: true });
    results = [];
    waiters = [];
  });
  afterEach(() => {
    watcher?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const start = () => {
    watcher = watchMappings(dir, { debounceMs: 20, onReload: (r) => { results.push(r); waiters.shift()?.(r); } });
    return watcher;
  };
  const file = () => join(dir, 'thermometer', 'mapping.yaml');
  const title = (w: MappingWatcher) => w.registry.current().find((m) => m.id === 'thermometer')?.title;

  it('picks up a changed file without restart and swaps the whole set at once', async () => {
    const w = start();
    const before = w.registry.current();
    const reloaded = nextReload();
    writeFileSync(file(), readFileSync(file(), 'utf8').replace(/^title: .*$/m, 'title: Ear thermometer v2'));
    expect(await reloaded).toEqual({ ok: true, ids: before.map((m) => m.id) });
    expect(title(w)).toBe('Ear thermometer v2');
    expect(before.find((m) => m.id === 'thermometer')?.title).not.toBe('Ear thermometer v2'); // the old set is untouched
  });

  it('refuses a broken version, naming file and line, and keeps serving the previous set', async () => {
    const w = start();
    const before = w.registry.current();
    const reloaded = nextReload();
    writeFileSync(file(), readFileSync(file(), 'utf8').replace('unit: "Cel"', 'unit: "celsius"'));
    const r = await reloaded;
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toMatch(/thermometer\/mapping\.yaml:\d+: observations\[0\]\.value\.quantity\.unit: "celsius" is not a UCUM unit code/);
    expect(w.registry.current()).toBe(before);
  });

  it('reload() can be called directly (the same code path as a file event)', () => {
    const w = start();
    rmSync(join(dir, 'stethoscope'), { recursive: true });
    const r = w.reload();
    expect(r.ok && r.ids).not.toContain('stethoscope');
    expect(w.registry.current().some((m) => m.id === 'stethoscope')).toBe(false);
  });

  it('a registry hands out one frozen set per call', () => {
    const reg = mappingRegistry([]);
    const first = reg.current();
    reg.replace([]);
    expect(reg.current()).not.toBe(first);
    expect(Object.isFrozen(reg.current())).toBe(true);
  });
});
