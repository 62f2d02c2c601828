'use strict';
/**
 * conformance — validates every case of a FHIR/fhir-test-cases style folder (default: ../shared/anchors/fhir-test-cases)
 * and prints, per case and in total, whether our verdict agrees with the HL7 reference validator's and whether the
 * errors sit on the same elements. A report, not a gate: the exit code is 0 unless the folder cannot be read.
 * Usage: npm run conformance [-- --cases FOLDER] [--json]
 */
const { join, resolve } = require('node:path');
const { createValidator, loadDefinitions, loadConformanceCases, runConformance } = require('../dist/validation');
const { anchor } = require('./anchors');

function main(argv) {
  const i = argv.indexOf('--cases');
  const folder = resolve(i >= 0 ? argv[i + 1] : anchor('fhir-test-cases'));
  const validator = createValidator(loadDefinitions({ profilesDir: join(__dirname, '..', 'profiles') }));
  const summary = runConformance(validator, loadConformanceCases(folder));
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(summary.results, null, 2)}\n`);
  } else {
    for (const r of summary.results) {
      const verdict = (v) => (v ? 'valid' : 'invalid');
      const elements = r.sameElements === undefined ? '' : r.sameElements ? ' same-elements' : ' other-elements';
      const note = r.skipped.length ? `  [${r.skipped.join('; ')}]` : '';
      console.log(`${r.agrees ? 'AGREE   ' : 'DISAGREE'} ${r.module}/${r.case} (${r.kind}): reference ${verdict(r.expectedValid)}, ours ${verdict(r.actualValid)}${elements}${note}`);
    }
    console.log(`\n${summary.agreed}/${summary.checks} verdicts agree (${(summary.agreement * 100).toFixed(1)} %); errors on the same elements in ${summary.sameElements}/${summary.comparableElements} comparable checks`);
  }
  console.log(JSON.stringify({ folder, checks: summary.checks, agreed: summary.agreed, agreement: Number(summary.agreement.toFixed(4)), sameElements: summary.sameElements, comparableElements: summary.comparableElements }));
}

main(process.argv.slice(2));
