/** The validation stage: R4 base + profiles → OperationOutcome. See port.ts for the contract. */
export type { ValidateOptions, Validator } from './port';
export type { DefinitionSet } from './definition-set';
export { loadDefinitions, type LoadDefinitionsOptions } from './load-definitions';
export { createValidator, extendValidator } from './create-validator';
export { completeSnapshots, generateSnapshot } from './generate-snapshot';
export { NATIVE_INVARIANTS } from './invariants';
export { runConformance, expectedFrom, type ConformanceCase, type ConformanceSummary, type CheckResult } from './conformance';
export { loadConformanceCases } from './load-conformance-cases';
export type { ValidatorOptions } from './validator-options';
