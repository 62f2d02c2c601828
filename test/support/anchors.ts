import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/**
 * The shared reference data (MedTech templates, HL7 PHD examples, the HL7 validator's test cases) lives beside
 * the repository in `../shared/anchors`, not inside it. CI may clone elsewhere, so: IOMT_ANCHORS_DIR, then
 * `../shared/anchors` next to this clone, then the workspace's `/work/shared/anchors`. Missing anchors are an
 * error, never a silent skip: the tests that read them must run.
 */
export function anchorsDir(): string {
  const candidates = [process.env.IOMT_ANCHORS_DIR, join(ROOT, '..', 'shared', 'anchors'), '/work/shared/anchors'];
  const found = candidates.find((dir): dir is string => typeof dir === 'string' && existsSync(join(dir, 'medtech')));
  if (!found) throw new Error(`shared anchors not found (tried ${candidates.filter(Boolean).join(', ')}); set IOMT_ANCHORS_DIR`);
  return found;
}

export const anchor = (...parts: string[]): string => join(anchorsDir(), ...parts);
