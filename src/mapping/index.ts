/**
 * Mapping stage: device family mapping files (YAML/JSON) → compiled mappings → FHIR R4 Device + Observations.
 * Everything except the loaders (`loadMappings`, `loadMappingPath`, `mappingSources`) and `watchMappings`
 * (src/mapping/watch.ts) is pure. See docs/mappings.md.
 */
export type { CompiledMapping, DeviceContext, MapInput, MapOutput, MatchContext } from './types';
export type { TraceStep, TraceKind, Trace } from './trace';
export type { MappingDocument, SourceSpec, MatchSpec, ObservationSpec, ValueSpec } from './mapping-document';
export { compileMapping, ERR_MAPPING_EMPTY } from './compile-mapping';
export { parseMappingText, ERR_MAPPING_INVALID, type DocPath, type LineLookup, type ParsedMappingText } from './parse-mapping-text';
export { loadMappings, loadMappingPath, mappingFiles, mappingSources } from './load';
export { mappingRegistry, type MappingRegistry, type MutableMappingRegistry } from './registry';
export { compileMedTechText, mergeObservations, mergeWithStored, MEDTECH_SYSTEM } from './medtech';
export { formatTrace, formatTraceStep } from './trace-format';
export { runExample, firstDifference, exampleDevice, type ExampleResult } from './examples';
export { selectMapping, ERR_MAPPING_UNKNOWN, ERR_NO_MAPPING } from './select-mapping';
export { ERR_MAPPING_VALUE } from './run-issues';
export { ERR_PATIENT_MISMATCH, ERR_PATIENT_UNRESOLVED } from './resolve-subject';
export { OBSERVATION_IDENTIFIER_SYSTEM, observationId, observationIdentifier } from './observation-identity';
export { SERIAL_IDENTIFIER_SYSTEM, DEVICE_IDENTIFIER_SYSTEM } from './compile-device';
export { compileJsonPath, JsonPathSyntaxError, type JsonPath } from './json-path';
export { compileExpression, ExpressionSyntaxError, type CompiledExpression, type ExpressionLanguage } from './expr/expression';
export { MAPPING_SCHEMA } from './mapping-schema';
export { knownConversions } from './units';
