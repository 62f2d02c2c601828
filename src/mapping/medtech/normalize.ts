import { docPathText, definitionError, type CompileContext } from '../compile-context';
import { compileExpression, ExpressionSyntaxError, type CompiledExpression, type EvalScope } from '../expr/expression';
import type { Selected } from '../expr/json-path-eval';
import { parseIsoTimestamp, TimestampError, ianaZone } from '../date-time';
import { plainDecimal } from '../decimal';
import type { RunIssues } from '../run-issues';
import { traceValue, type Trace } from '../trace';
import type { ContentKind, ContentTemplate, ExpressionSpec } from './templates';

/**
 * MedTech's normalisation stage: every device template runs over every message; each token its type match
 * selects becomes one measurement. Values stay strings until the FHIR stage, as in MedTech.
 * See: https://learn.microsoft.com/azure/healthcare-apis/iot/overview-of-device-data-processing-stages
 */
export interface Measurement {
  readonly type: string;
  readonly deviceId: string;
  readonly patientId?: string;
  readonly encounterId?: string;
  readonly correlationId?: string;
  /** Occurrence time, epoch ms (UTC). */
  readonly time: number;
  readonly values: ReadonlyArray<{ name: string; value: string }>;
  /** Location of the matched token in the message (for issues). */
  readonly loc: string;
}

/** Turns a message envelope into measurements; issues are recorded, not thrown. */
export type Normalizer = (envelope: unknown, issues: RunIssues, trace: Trace, toPayloadLoc: (loc: string) => string) => Measurement[];

interface CompiledTemplate {
  readonly spec: ContentTemplate;
  readonly typeMatch: CompiledExpression;
  readonly deviceId: CompiledExpression;
  readonly timestamps: CompiledExpression[];
  readonly patientId?: CompiledExpression;
  readonly encounterId?: CompiledExpression;
  readonly correlationId?: CompiledExpression;
  readonly values: ReadonlyArray<{ name: string; required: boolean; expr: CompiledExpression; at: string }>;
}

// MedTech's fixed expressions of the IoT template types (evaluated against the matched token).
const FIXED: Partial<Record<ContentKind, { deviceId: string; timestamps: string[] }>> = {
  iotjsonpathcontent: { deviceId: '$.SystemProperties.iothub-connection-device-id', timestamps: ['$.Properties.iothub-creation-time-utc', '$.SystemProperties.iothub-enqueuedtime'] },
  iotcentraljsonpathcontent: { deviceId: '$.deviceId', timestamps: ['$.enqueuedTime'] },
};
const UTC = ianaZone('UTC');

/** Compile every expression of the device templates. @throws definition errors with file and line. */
export function compileDeviceContent(templates: readonly ContentTemplate[], ctx: CompileContext): { normalize: Normalizer; matches: (envelope: unknown) => boolean } {
  const compiled = templates.map((t) => compileTemplate(t, ctx));
  return {
    normalize: (envelope, issues, trace, toPayloadLoc) => compiled.flatMap((t) => runTemplate(t, envelope, issues, trace, toPayloadLoc)),
    matches: (envelope) => compiled.some((t) => matches(t, envelope).length > 0),
  };
}

function compileOne(spec: ExpressionSpec, ctx: CompileContext): CompiledExpression {
  try {
    return compileExpression(spec.text, spec.language);
  } catch (e) {
    if (e instanceof ExpressionSyntaxError) throw definitionError(ctx, spec.at, `${spec.language === 'jmespath' ? 'JMESPath' : 'JSONPath'} ${e.message}`);
    throw e;
  }
}

function compileTemplate(t: ContentTemplate, ctx: CompileContext): CompiledTemplate {
  const fixed = FIXED[t.kind];
  const opt = (s: ExpressionSpec | undefined) => (s ? compileOne(s, ctx) : undefined);
  return {
    spec: t,
    typeMatch: compileOne(t.typeMatch, ctx),
    deviceId: fixed ? compileExpression(fixed.deviceId, 'jsonpath') : compileOne(t.deviceId as ExpressionSpec, ctx),
    timestamps: fixed ? fixed.timestamps.map((x) => compileExpression(x, 'jsonpath')) : [compileOne(t.timestamp as ExpressionSpec, ctx)],
    patientId: opt(t.patientId), encounterId: opt(t.encounterId), correlationId: opt(t.correlationId),
    values: t.values.map((v) => ({ name: v.valueName, required: v.required, expr: compileOne(v.expression, ctx), at: docPathText(v.expression.at) })),
  };
}

/** Type-match tokens: every JSONPath match; a JMESPath array result gives one token per element. */
function matches(t: CompiledTemplate, envelope: unknown): Selected[] {
  const scope: EvalScope = { root: envelope, current: envelope, currentLoc: '' };
  const found = t.typeMatch.select(scope);
  if (t.typeMatch.language === 'jmespath' && Array.isArray(found[0]?.value)) return (found[0]?.value as unknown[]).map((value, i) => ({ value, loc: `[${i}]` }));
  return found;
}

function runTemplate(t: CompiledTemplate, envelope: unknown, issues: RunIssues, trace: Trace, toPayloadLoc: (loc: string) => string): Measurement[] {
  const tokens = matches(t, envelope);
  trace?.push({ step: 'template', at: docPathText(t.spec.at), expression: t.typeMatch.text, language: t.typeMatch.language, value: tokens.length, note: `${t.spec.kind} "${t.spec.typeName}": ${tokens.length} match(es)` });
  return tokens.flatMap((token) => {
    const m = measure(t, envelope, token, issues, trace, toPayloadLoc);
    if (m) trace?.push({ step: 'reading', at: toPayloadLoc(token.loc), value: { ...m, time: new Date(m.time).toISOString() } });
    return m ? [m] : [];
  });
}

function measure(t: CompiledTemplate, envelope: unknown, token: Selected, issues: RunIssues, trace: Trace, toPayloadLoc: (loc: string) => string): Measurement | undefined {
  // CalculatedContent: expressions see the whole envelope plus `matchedToken`; the other kinds see the token.
  const calculated = t.spec.kind === 'calculatedcontent';
  const root = calculated && isObject(envelope) ? { ...envelope, matchedToken: token.value } : token.value;
  const scope: EvalScope = { root, current: root, currentLoc: '' };
  const locate = (loc: string): string => toPayloadLoc(calculated ? (loc.startsWith('matchedToken') ? token.loc + loc.slice('matchedToken'.length) : loc) : joinLoc(token.loc, loc));
  const before = issues.list.length;
  const single = (expr: CompiledExpression, at: string): unknown => {
    const found = expr.select(scope);
    trace?.push({ step: 'read', at, expression: expr.text, language: expr.language, value: traceValue(found.length === 1 ? found[0]?.value : found.map((f) => f.value)) });
    if (found.length > 1) issues.add('value', `${expr.text} selects ${found.length} values where one is expected (template "${t.spec.typeName}")`, locate(found[1]?.loc ?? ''));
    return found.length === 1 ? found[0]?.value : undefined;
  };
  const text = (expr: CompiledExpression | undefined, what: string): string | undefined => {
    if (!expr) return undefined;
    const v = single(expr, `${docPathText(t.spec.at)}.${what}`);
    return v === null || v === undefined || v === '' ? undefined : stringify(v);
  };
  const deviceId = text(t.deviceId, 'deviceIdExpression');
  if (deviceId === undefined) issues.add('required', `no device id at ${t.deviceId.text} (template "${t.spec.typeName}")`, locate(t.deviceId.where));
  const time = timestamp(t, single, issues, locate);
  const values: Array<{ name: string; value: string }> = [];
  for (const v of t.values) {
    const raw = single(v.expr, v.at);
    if (raw === null || raw === undefined || raw === '') {
      if (v.required) issues.add('required', `required value "${v.name}" is missing (nothing at ${v.expr.text}, template "${t.spec.typeName}")`, locate(v.expr.where));
      continue;
    }
    values.push({ name: v.name, value: stringify(raw) });
  }
  const ids = { patientId: text(t.patientId, 'patientIdExpression'), encounterId: text(t.encounterId, 'encounterIdExpression'), correlationId: text(t.correlationId, 'correlationIdExpression') };
  if (issues.list.length > before || deviceId === undefined || time === undefined) return undefined;
  return { type: t.spec.typeName, deviceId, ...ids, time, values, loc: toPayloadLoc(token.loc) };
}

/** MedTech reads timestamps without zone handling: a stamp without offset is UTC (the host zone of its containers). */
function timestamp(t: CompiledTemplate, single: (e: CompiledExpression, at: string) => unknown, issues: RunIssues, locate: (loc: string) => string): number | undefined {
  const exprs = t.timestamps;
  let raw: unknown;
  for (const e of exprs) {
    raw = single(e, `${docPathText(t.spec.at)}.timestampExpression`);
    if (raw !== undefined && raw !== null) break;
  }
  const where = locate((exprs[0] as CompiledExpression).where);
  if (raw === undefined || raw === null) {
    issues.add('required', `no timestamp at ${exprs.map((e) => e.text).join(' or ')} (template "${t.spec.typeName}")`, where);
    return undefined;
  }
  try {
    if (typeof raw !== 'string') throw new TimestampError(`expected an ISO 8601 string, got ${typeof raw}`);
    return Date.parse(parseIsoTimestamp(raw, UTC).utc);
  } catch (e) {
    if (!(e instanceof TimestampError)) throw e;
    issues.add('value', `unusable timestamp (template "${t.spec.typeName}"): ${e.message}`, where);
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function joinLoc(base: string, loc: string): string {
  if (base === '') return loc;
  if (loc === '' || loc === '@') return base;
  return loc.startsWith('[') ? base + loc : `${base}.${loc.replace(/^@\.?/, '')}`;
}

/** A token as MedTech's `JToken.ToString()` gives it: strings as they are, .NET's True/False, JSON otherwise. */
function stringify(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return plainDecimal(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return JSON.stringify(v);
}
