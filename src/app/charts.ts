import { esc } from './html';
import type { Trend, Waveform } from './readings';

/**
 * Server-rendered SVG charts (pure): no chart library, no script needed to see them. Each chart is an
 * `img` for assistive technology with a title and a text summary, and its values are in a table too.
 */

const W = 640;
/** Waveforms span the page: a wider canvas keeps their text the size of the trends'. */
const WAVE_W = 1200;
const PAD = { left: 56, right: 16, top: 14, bottom: 30 };

interface Scale { min: number; max: number }

function scaleOf(values: number[], pad = 0.1): Scale {
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (min === max) {
    min -= 1;
    max += 1;
  }
  const margin = (max - min) * pad;
  return { min: min - margin, max: max + margin };
}

const project = (v: number, s: Scale, from: number, to: number): number => from + ((v - s.min) / (s.max - s.min)) * (to - from);
const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toFixed(2)).toString());
const clock = (t: number): string => new Date(t).toISOString().slice(0, 16).replace('T', ' ');

/** A trend chart of one vital sign (one line per series, e.g. systolic and diastolic). */
export function trendChart(trend: Trend, id: string): string {
  const H = 200;
  const all = trend.series.flatMap((s) => s.points);
  const x = scaleOf(all.map((p) => p.t), 0.02);
  const y = scaleOf(all.map((p) => p.v));
  const px = (t: number) => project(t, x, PAD.left, W - PAD.right).toFixed(1);
  const py = (v: number) => project(v, y, H - PAD.bottom, PAD.top).toFixed(1);
  const lines = trend.series.map((s, i) => {
    const points = s.points.map((p) => `${px(p.t)},${py(p.v)}`).join(' ');
    const dots = s.points.length > 60 ? '' : s.points.map((p) =>
      `<circle class="dot series-${i}" cx="${px(p.t)}" cy="${py(p.v)}" r="3.5"><title>${esc(`${s.label}: ${fmt(p.v)} ${s.unit} at ${clock(p.t)} UTC`)}</title></circle>`).join('');
    return `<polyline class="line series-${i}" points="${points}"/>${dots}`;
  }).join('');
  const summary = trend.series.map((s) => {
    const values = s.points.map((p) => p.v);
    return `${s.label}: ${s.points.length} readings, latest ${fmt(values.at(-1) as number)} ${s.unit}, range ${fmt(Math.min(...values))}–${fmt(Math.max(...values))} ${s.unit}`;
  }).join('; ');
  const first = Math.min(...all.map((p) => p.t));
  const last = Math.max(...all.map((p) => p.t));
  return `<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-t ${id}-d" focusable="false">
<title id="${id}-t">${esc(trend.label)} over time</title>
<desc id="${id}-d">${esc(`${summary}. From ${clock(first)} to ${clock(last)} UTC.`)}</desc>
<line class="axis" x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}"/>
<line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}"/>
<text class="tick" x="${PAD.left - 6}" y="${Number(py(y.max)) + 12}" text-anchor="end">${fmt(y.max)}</text>
<text class="tick" x="${PAD.left - 6}" y="${H - PAD.bottom}" text-anchor="end">${fmt(y.min)}</text>
<text class="tick" x="${PAD.left}" y="${H - 8}">${esc(clock(first))}</text>
<text class="tick" x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${esc(clock(last))} UTC</text>
${lines}
</svg>
${legend(trend)}
${valuesTable(trend)}
</figure>`;
}

function legend(trend: Trend): string {
  if (trend.series.length < 2) return '';
  return `<ul class="legend">${trend.series.map((s, i) => `<li><span class="swatch series-${i}" aria-hidden="true"></span>${esc(s.label)}</li>`).join('')}</ul>`;
}

/** The last values as a table, behind a keyboard-operable disclosure. */
function valuesTable(trend: Trend): string {
  const rows = trend.series.flatMap((s) => s.points.slice(-12).map((p) => ({ s, p }))).sort((a, b) => b.p.t - a.p.t);
  const body = rows.map(({ s, p }) => `<tr><td>${esc(clock(p.t))} UTC</td><td>${esc(s.label)}</td><td>${esc(fmt(p.v))} ${esc(s.unit)}</td></tr>`).join('');
  return `<details><summary>Values of ${esc(trend.label)}</summary><table><thead><tr><th scope="col">Time</th><th scope="col">Measure</th><th scope="col">Value</th></tr></thead><tbody>${body}</tbody></table></details>`;
}

/** A waveform strip (e.g. an ECG lead) with a 200 ms grid, like ECG paper. Gaps stay gaps. */
export function waveformChart(w: Waveform, id: string): string {
  const H = 180;
  const finite = w.values.filter((v): v is number => v !== null);
  if (finite.length === 0) return `<p>${esc(w.label)}: no valid samples.</p>`;
  const durationMs = Math.max(w.periodMs * (w.values.length - 1), w.periodMs);
  const x: Scale = { min: 0, max: durationMs };
  const y = scaleOf(finite, 0.15);
  const px = (ms: number) => project(ms, x, PAD.left, WAVE_W - PAD.right).toFixed(1);
  const py = (v: number) => project(v, y, H - PAD.bottom, PAD.top).toFixed(1);
  const grid: string[] = [];
  for (let ms = 0; ms <= durationMs && grid.length < 200; ms += 200) grid.push(`<line class="grid" x1="${px(ms)}" y1="${PAD.top}" x2="${px(ms)}" y2="${H - PAD.bottom}"/>`);
  const runs: string[][] = [[]];
  w.values.forEach((v, i) => {
    if (v === null) runs.push([]);
    else (runs.at(-1) as string[]).push(`${px(i * w.periodMs)},${py(v)}`);
  });
  const lines = runs.filter((r) => r.length > 0).map((r) => `<polyline class="wave" points="${r.join(' ')}"/>`).join('');
  const desc = `${w.values.length} samples every ${w.periodMs} ms (${(durationMs / 1000).toFixed(2)} s), from ${fmt(Math.min(...finite))} to ${fmt(Math.max(...finite))} ${w.unit}`;
  return `<figure class="chart">
<svg viewBox="0 0 ${WAVE_W} ${H}" role="img" aria-labelledby="${id}-t ${id}-d" focusable="false">
<title id="${id}-t">${esc(w.label)} waveform</title>
<desc id="${id}-d">${esc(desc)}</desc>
${grid.join('')}
<line class="axis" x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${WAVE_W - PAD.right}" y2="${H - PAD.bottom}"/>
<text class="tick" x="${PAD.left - 6}" y="${Number(py(y.max)) + 12}" text-anchor="end">${fmt(y.max)}</text>
<text class="tick" x="${PAD.left - 6}" y="${H - PAD.bottom}" text-anchor="end">${fmt(y.min)}</text>
<text class="tick" x="${PAD.left}" y="${H - 8}">${esc(w.unit)} · 0 s</text>
<text class="tick" x="${WAVE_W - PAD.right}" y="${H - 8}" text-anchor="end">${(durationMs / 1000).toFixed(2)} s</text>
${lines}
</svg>
<figcaption>${esc(desc)}</figcaption>
</figure>`;
}
