/**
 * The TypeScript shape of a mapping file once it has passed MAPPING_SCHEMA (see mapping-schema.ts).
 * Documented for engineers in docs/mappings.md.
 */

export type Scalar = string | number | boolean | null;
export type Language = 'jsonpath' | 'jmespath';

/** Where a value comes from: exactly one of path / expression / const (checked by the compiler). */
export interface SourceKeys {
  path?: string;
  expression?: string;
  language?: Language;
  const?: Scalar;
}

/** A path string (`$.x` from the item, `@.x` from the current reading) is shorthand for `{ path }`. */
export type SourceSpec = string | SourceKeys;

export interface CodingSpec {
  system: string;
  code: string;
  display?: string;
}

export interface MatchSpec extends SourceKeys {
  equals?: Scalar;
  in?: Scalar[];
  exists?: boolean;
  /** MQTT topic filter (`+` one level, `#` the rest), for payloads that arrive over MQTT. */
  topic?: string;
  all?: MatchSpec[];
  any?: MatchSpec[];
  not?: MatchSpec;
}

export type TimestampFormat = 'iso8601' | 'epoch-s' | 'epoch-ms';
export type TimestampSpec = string | (SourceKeys & { format?: TimestampFormat });

/** The device's unit, when it is in the payload: a path plus the device's unit strings → UCUM codes. */
export interface UnitSourceSpec extends SourceKeys {
  units: Record<string, string>;
}

export interface QuantitySpec extends SourceKeys {
  unit: string;
  from?: string | UnitSourceSpec;
  decimals?: number;
  /** g/mol, for mass ↔ substance concentrations (mg/dL ↔ mmol/L). */
  molarMass?: number;
}

export interface SampledDataSpec extends SourceKeys {
  origin: { value: number; unit: string };
  periodMs?: number | string;
  frequencyHz?: number | string;
  factor?: number;
  lowerLimit?: number;
  upperLimit?: number;
  dimensions?: number;
}

export interface CodeMapSpec extends SourceKeys {
  /** Device value (as text) → coding. */
  map: Record<string, CodingSpec>;
  /** Used for device values the map does not list; without it such a value is an error. */
  default?: CodingSpec;
  text?: string;
}

export interface DateTimeSpec extends SourceKeys {
  format?: TimestampFormat;
}

export type SimpleValueSpec = SourceKeys;

export interface ValueSpec {
  quantity?: QuantitySpec;
  sampledData?: SampledDataSpec;
  codeableConcept?: CodeMapSpec;
  string?: SimpleValueSpec;
  boolean?: SimpleValueSpec;
  integer?: SimpleValueSpec;
  dateTime?: DateTimeSpec;
  range?: { low?: QuantitySpec; high?: QuantitySpec };
  ratio?: { numerator: QuantitySpec; denominator: QuantitySpec };
}

/** What to do when a value is absent: leave the observation/component out, fail, or say why it is missing. */
export type AbsentPolicy = 'skip' | 'error' | 'data-absent-reason';

export interface ComponentSpec {
  code: CodingSpec | CodingSpec[];
  optional?: boolean;
  absent?: AbsentPolicy;
  value: ValueSpec;
}

export type CategoryCode =
  | 'social-history' | 'vital-signs' | 'imaging' | 'laboratory' | 'procedure' | 'survey' | 'exam' | 'therapy' | 'activity';

export interface ObservationSpec {
  /** One coding, or several (e.g. LOINC first, then the IEEE 11073 MDC code). */
  code: CodingSpec | CodingSpec[];
  category?: CategoryCode;
  profile?: string | string[];
  method?: CodingSpec;
  bodySite?: CodingSpec;
  /** Only for readings this rule accepts (`@` is the reading). */
  when?: MatchSpec;
  optional?: boolean;
  absent?: AbsentPolicy;
  /** A time window instead of the reading's instant: effectivePeriod. */
  period?: { start: TimestampSpec; end: TimestampSpec };
  value?: ValueSpec;
  components?: ComponentSpec[];
}

export interface DeviceSpec {
  serial?: SourceSpec;
  manufacturer?: SourceSpec;
  model?: SourceSpec;
  firmware?: SourceSpec;
  hardware?: SourceSpec;
  software?: SourceSpec;
  /** Bluetooth MAC (ContinuaDeviceIdentifiers BTMAC). */
  mac?: SourceSpec;
  /** IEEE EUI-64 system id (ContinuaDeviceIdentifiers SYSID). */
  systemId?: SourceSpec;
  /** UDI carrier (human-readable form) and its device identifier (DI). */
  udi?: SourceSpec;
  udiDeviceIdentifier?: SourceSpec;
  type?: CodingSpec | CodingSpec[];
  profile?: string | string[];
}

export interface MappingDocument {
  id: string;
  title: string;
  description?: string;
  match: MatchSpec;
  timezone?: string;
  /** Many readings in one payload: each selected node is a reading (`@` in paths). */
  each?: SourceSpec;
  message: { id?: SourceSpec; timestamp: TimestampSpec };
  subject?: 'registry' | SourceSpec;
  device?: DeviceSpec;
  observations: ObservationSpec[];
}
