import { trendChart, waveformChart } from './charts';
import { displayTime, esc, page } from './html';
import type { DeviceSummary, PatientView, UnassignedDevice } from './patient-view';
import type { Reading } from './readings';

export interface PatientPageContext {
  view: PatientView;
  /** Name from the EHR's Patient resource, when it could be read. */
  patientName?: string;
  /** The signed-in user as the EHR names them (fhirUser), if any. */
  user?: string;
  /** Per-session token for the link forms (CSRF). */
  csrf: string;
  /** Whether the user may link devices (a practitioner). */
  canLink: boolean;
  /** A one-off message after an action (link done / refused). */
  notice?: { kind: 'ok' | 'error'; text: string };
  /** Server time of rendering (ISO). */
  renderedAt: string;
}

/** The patient page: readable on a ward screen, usable by keyboard and screen reader. */
export function renderPatientPage(ctx: PatientPageContext): string {
  const { view } = ctx;
  const who = ctx.patientName ?? view.patient;
  const body = `<header class="banner">
<h1>${esc(who)}</h1>
<p class="meta"><span>${esc(view.patient)}</span>${ctx.user ? ` · <span>Signed in as ${esc(ctx.user)}</span>` : ''} · <span>Updated <time datetime="${esc(ctx.renderedAt)}">${esc(displayTime(ctx.renderedAt))}</time></span></p>
<form method="post" action="/app/logout" class="inline"><button type="submit">Sign out</button></form>
</header>
${ctx.notice ? `<p class="notice ${ctx.notice.kind}" role="status">${esc(ctx.notice.text)}</p>` : '<p class="notice" role="status" hidden></p>'}
${readingsSection(view.readings)}
${trendsSection(view)}
${waveformSection(view)}
${devicesSection(view.devices)}
${linkSection(view.unassigned, ctx, who)}`;
  return page({ title: `${who} — device readings`, body, refreshSeconds: 60 });
}

function readingsSection(readings: Reading[]): string {
  const tiles = readings.length === 0
    ? '<p>No readings from devices yet.</p>'
    : `<ul class="tiles">${readings.map((r) => `<li class="tile">
<span class="label">${esc(r.label)}</span>
<span class="value">${esc(r.value)}</span>
<span class="when">${esc(displayTime(r.time))}${r.device ? ` · ${esc(r.device.replace(/^Device\//, ''))}` : ''}</span>
</li>`).join('')}</ul>`;
  return `<section aria-labelledby="latest-h"><h2 id="latest-h">Latest readings</h2>${tiles}</section>`;
}

function trendsSection(view: PatientView): string {
  if (view.trends.length === 0) return '';
  const charts = view.trends.map((t, i) => `<article><h3>${esc(t.label)}</h3>${trendChart(t, `trend-${i}`)}</article>`).join('');
  return `<section aria-labelledby="trends-h"><h2 id="trends-h">Vital signs over time</h2><div class="charts">${charts}</div></section>`;
}

function waveformSection(view: PatientView): string {
  if (view.waveforms.length === 0) return '';
  const charts = view.waveforms.map((w, i) =>
    `<article><h3>${esc(w.label)} <small>${esc(displayTime(w.time))}${w.device ? ` · ${esc(w.device.replace(/^Device\//, ''))}` : ''}</small></h3>${waveformChart(w, `wave-${i}`)}</article>`).join('');
  return `<section aria-labelledby="waves-h"><h2 id="waves-h">Waveforms</h2>${charts}</section>`;
}

function devicesSection(devices: DeviceSummary[]): string {
  const rows = devices.map((d) => `<tr>
<th scope="row">${esc(d.model)}<br><small>${esc(d.id)}</small></th>
<td>${esc(d.manufacturer ?? '—')}</td><td>${esc(d.serial ?? '—')}</td><td>${esc(d.firmware ?? '—')}</td>
<td><span class="status status-${esc(d.status)}">${esc(d.status)}</span></td><td>${esc(displayTime(d.lastSeen))}</td>
</tr>`).join('');
  const table = devices.length === 0 ? '<p>No devices are linked to this patient.</p>'
    : `<table><caption class="visually-hidden">Devices linked to this patient</caption><thead><tr>
<th scope="col">Model</th><th scope="col">Manufacturer</th><th scope="col">Serial</th><th scope="col">Firmware</th><th scope="col">Status</th><th scope="col">Last seen</th>
</tr></thead><tbody>${rows}</tbody></table>`;
  return `<section aria-labelledby="devices-h" id="devices"><h2 id="devices-h">Devices</h2>${table}</section>`;
}

function linkSection(unassigned: UnassignedDevice[], ctx: PatientPageContext, who: string): string {
  if (!ctx.canLink) return '';
  const items = unassigned.length === 0 ? '<p>No unassigned devices.</p>' : `<ul class="link-list">${unassigned.map((d) => `<li>
<form method="post" action="/app/devices/${encodeURIComponent(d.id)}/link">
<input type="hidden" name="csrf" value="${esc(ctx.csrf)}">
<span><strong>${esc(d.id)}</strong>${d.model ? ` · ${esc(d.model)}` : ''} · registered ${esc(displayTime(d.registeredAt))}</span>
<button type="submit">Link ${esc(d.id)} to ${esc(who)}</button>
</form></li>`).join('')}</ul>`;
  return `<section aria-labelledby="link-h"><h2 id="link-h">Link a device</h2>
<p>Devices registered with the bridge but not yet assigned to a patient. Linking is recorded in the audit trail.</p>${items}</section>`;
}

/** A clear page for refusals and authorization-server errors (no stack, no token, escaped text). */
export function renderMessagePage(title: string, text: string, hint?: string): string {
  return page({ title, body: `<h1>${esc(title)}</h1><p class="notice error" role="alert">${esc(text)}</p>${hint ? `<p>${esc(hint)}</p>` : ''}` });
}
