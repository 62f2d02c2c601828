/**
 * The TypeScript shape of a mapping file once it has passed MAPPING_SCHEMA (see mapping-schema.ts).
 * Documented for engineers in docs/mappings.md.
 */

export type Scalar = string | number | boolean | null;

/** Where a value comes from: exactly one of path / expression / const (checked by the compiler). */
export interface SourceKeys {
  path?: string;
  expression?: string;
  language?: 'jsonpath';
  const?: Scalar;
}

/** A JSONPath string is shorthand for `{ path }`. */
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
  all?: MatchSpec[];
  any?: MatchSpec[];
  not?: MatchSpec;
}

export type TimestampFormat = 'iso8601' | 'epoch-s' | 'epoch-ms';
export type TimestampSpec = string | (SourceKeys & { format?: TimestampFormat });

export interface QuantitySpec extends SourceKeys {
  unit: string;
  from?: string;
  decimals?: number;
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

export interface ValueSpec {
  quantity?: QuantitySpec;
  sampledData?: SampledDataSpec;
}

export interface ComponentSpec {
  code: CodingSpec;
  optional?: boolean;
  value: ValueSpec;
}

export type CategoryCode =
  | 'social-history' | 'vital-signs' | 'imaging' | 'laboratory' | 'procedure' | 'survey' | 'exam' | 'therapy' | 'activity';

export interface ObservationSpec {
  code: CodingSpec;
  category?: CategoryCode;
  profile?: string;
  optional?: boolean;
  value?: ValueSpec;
  components?: ComponentSpec[];
}

export interface MappingDocument {
  id: string;
  title: string;
  description?: string;
  match: MatchSpec;
  timezone?: string;
  message: { id?: SourceSpec; timestamp: TimestampSpec };
  subject?: 'registry' | SourceSpec;
  device?: { serial?: SourceSpec; manufacturer?: SourceSpec; model?: SourceSpec; firmware?: SourceSpec; type?: CodingSpec };
  observations: ObservationSpec[];
}
