/**
 * The shared reference data (MedTech templates, HL7 PHD examples, the HL7 validator's test cases) lives beside
 * the repository in `../shared/anchors`, not inside it. One finder serves the benchmarks and the tests:
 * bench/anchors.js (IOMT_ANCHORS_DIR, then `../shared/anchors` next to this clone, then `/work/shared/anchors`).
 * Missing anchors are an error, never a silent skip: the tests that read them must run.
 */
const finder = require('../../bench/anchors') as { anchorsDir: () => string; anchor: (...parts: string[]) => string };

export const anchorsDir = (): string => finder.anchorsDir();
export const anchor = (...parts: string[]): string => finder.anchor(...parts);
