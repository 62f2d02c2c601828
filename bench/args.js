'use strict';
// Command-line options of the benchmarks: `--name value`.

/** The value after `--name`, or `fallback` when the option is absent. */
function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** `--name N` as a number, or `fallback`. */
function numberOption(name, fallback) {
  return Number(option(name, fallback));
}

module.exports = { option, numberOption };
