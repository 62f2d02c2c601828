import type { OperationOutcome } from 'fhir/r4';
import type { TraceStep } from './trace';

const short = (v: unknown, max = 120): string => {
  const text = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? 'nothing');
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
};

function outcomeText(o: OperationOutcome): string {
  const errors = o.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length === 0) return 'valid';
  return `${errors.length} error(s): ${errors.map((i) => `${i.details?.text ?? i.diagnostics ?? i.code}${i.expression ? ` @ ${i.expression.join(', ')}` : ''}`).join(' | ')}`;
}

/** One line per step, for a terminal: `read      observations[0].value.quantity  $.spo2 → 97`. */
export function formatTraceStep(s: TraceStep): string {
  const kind = s.step.padEnd(9);
  switch (s.step) {
    case 'read':
      return `${kind} ${s.at ?? ''}  ${s.expression ?? ''}${s.language === 'jmespath' ? ' (JMESPath)' : ''} → ${short(s.value === undefined ? null : s.value)}`;
    case 'convert': {
      const c = s.value as { input: number; from: string; output: number; to: string; decimals?: number };
      return `${kind} ${s.at ?? ''}  ${c.input} ${c.from} → ${c.output} ${c.to}${c.decimals === undefined ? '' : ` (${c.decimals} decimals)`}`;
    }
    case 'validate':
      return `${kind} ${s.at ?? ''}: ${outcomeText(s.value as OperationOutcome)}`;
    case 'error':
      return `${kind} ${s.note ?? ''}: ${outcomeText(s.value as OperationOutcome)}`;
    case 'select':
      return `${kind} mapping "${String(s.value)}" (${s.note ?? ''})`;
    default:
      return `${kind} ${[s.at, s.expression, s.note, s.value === undefined || s.note ? undefined : short(s.value)].filter((x) => x !== undefined && x !== '').join('  ')}`;
  }
}

/** The whole trace of one item, indented under its location. */
export const formatTrace = (item: string, steps: readonly TraceStep[]): string => [item, ...steps.map((s) => `  ${formatTraceStep(s)}`)].join('\n');
