/** The validation stage: R4 base + profiles → OperationOutcome. See port.ts for the contract. */
export type { ValidateOptions, Validator } from './port';
export type { DefinitionSet } from './definition-set';
export { loadDefinitions, type LoadDefinitionsOptions } from './load-definitions';
export { createValidator } from './create-validator';
export { NATIVE_INVARIANTS } from './invariants';
