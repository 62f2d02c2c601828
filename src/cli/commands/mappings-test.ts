import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { runExample, type ExampleResult } from '../../mapping/examples';
import { loadMappingPath, mappingSources } from '../../mapping/load';
import type { Validator } from '../../validation/port';
import { type CliContext, json } from '../io';

export interface MappingsTestEngines {
  /** The configured mappings folder (IOMT_MAPPINGS_DIR). */
  mappingsDir: () => string;
  validator: () => Validator;
}

/** The folder holding a mapping's `examples/` and `expected/`: its family folder (or the MedTech folder). */
const familyFolder = (source: string): string => (statSync(source).isDirectory() ? source : dirname(source));

/** Runs every example of every mapping under `dir`; with `update`, (re)writes expected/ from the output. */
export function runMappingExamples(dir: string, validator: Validator, update = false): ExampleResult[] {
  const results: ExampleResult[] = [];
  for (const source of mappingSources(dir)) {
    const folder = familyFolder(source);
    const examples = join(folder, 'examples');
    if (folder === dir || !existsSync(examples)) continue;
    const mapping = loadMappingPath(source);
    for (const name of readdirSync(examples).filter((f) => f.endsWith('.json')).sort()) {
      const expectedFile = join(folder, 'expected', name);
      const payload = JSON.parse(readFileSync(join(examples, name), 'utf8').replace(/^\uFEFF/, '')) as unknown;
      const expected = !update && existsSync(expectedFile) ? (JSON.parse(readFileSync(expectedFile, 'utf8')) as unknown) : undefined;
      const result = runExample(mapping, name, payload, expected, validator);
      if (update && result.output && result.status !== 'fail') {
        mkdirSync(dirname(expectedFile), { recursive: true });
        writeFileSync(expectedFile, `${json(result.output)}\n`);
      }
      results.push(result);
    }
  }
  return results;
}

/**
 * `mappings test [--dir DIR] [--update]`: maps every mapping's examples/ and compares with expected/ (the golden
 * output), validating each produced resource with the runtime validator. Exit code 1 on any failure.
 */
export function registerMappingsCommands(program: Command, ctx: CliContext, engines: MappingsTestEngines): void {
  const mappings = program.command('mappings').description('work with mapping files');
  mappings.command('test').description("run every mapping's examples/ against expected/ (and validate the output)")
    .option('--dir <folder>', 'mappings folder (default: IOMT_MAPPINGS_DIR)')
    .option('--update', 'write expected/ from the current output (check the diff before committing)')
    .action((options: { dir?: string; update?: boolean }) => {
      const dir = options.dir ?? engines.mappingsDir();
      const results = runMappingExamples(dir, engines.validator(), options.update === true);
      for (const r of results) {
        const mark = r.status === 'pass' ? 'ok  ' : r.status === 'new' ? (options.update ? 'wrote' : 'new ') : 'FAIL';
        ctx.io.out(`${mark} ${r.mapping}/${basename(r.example)}${r.reason ? ` — ${r.reason}` : ''}`);
      }
      const failed = results.filter((r) => r.status === 'fail' || r.status === 'error').length;
      ctx.io.out(`${results.length} example(s), ${failed} failed`);
      if (failed > 0 || results.length === 0) ctx.exitCode = 1;
    });
}
