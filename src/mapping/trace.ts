/**
 * The mapping debugger's record: the same code path that serves ingest appends a step here when the caller
 * passes an array (CLI `map --trace`, `POST /mappings/$test`, the playground). Without one nothing is recorded.
 */
export type TraceKind =
  | 'select' // which mapping took the payload, and why
  | 'template' // MedTech: a device template's type match and how many tokens it found
  | 'reading' // one reading of a batch (`each`), or one MedTech measurement
  | 'read' // an expression and its result
  | 'convert' // a unit conversion
  | 'group' // MedTech: measurements grouped into one Observation
  | 'produced' // a resource came out
  | 'skipped' // an optional observation whose value was absent, or a `when` that did not hold
  | 'validate' // validation outcome of one resource
  | 'error'; // why the item was refused

export interface TraceStep {
  readonly step: TraceKind;
  /** Where in the mapping (`observations[0].value.quantity`) or the payload (`readings[2]`). */
  readonly at?: string;
  /** The expression as written. */
  readonly expression?: string;
  readonly language?: string;
  /** The result, the produced resource reference, or the outcome. */
  readonly value?: unknown;
  /** A short human explanation. */
  readonly note?: string;
}

/** A trace is a plain array the caller owns; `undefined` means "do not record". */
export type Trace = TraceStep[] | undefined;

/** Values in the trace are copied and shortened so that a long waveform does not drown the rest. */
export function traceValue(value: unknown): unknown {
  if (Array.isArray(value) && value.length > 20) return [...value.slice(0, 20), `… ${value.length - 20} more`];
  if (typeof value === 'string' && value.length > 200) return `${value.slice(0, 200)}… (${value.length} characters)`;
  return value;
}
