// Mapping playground: collects the inputs, calls POST /mappings/$test (the runtime's own code) and shows the
// FHIR output, the trace and the validation issues side by side. Everything is written with textContent:
// payloads and traces are data, never markup.
'use strict';

const SAMPLE = {
  type: 'pulse-oximeter',
  messageId: 'po-000123',
  timestamp: '2024-05-14T09:30:00+02:00',
  device: { serial: 'PO-8841-A', manufacturer: 'Acme Medical', model: 'OxiClip 300', firmware: '2.4.1' },
  spo2: 97,
  pulseRate: 72,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

function setStatus(text, kind) {
  const s = $('status');
  s.textContent = text;
  s.className = kind || '';
}

function headers() {
  return { authorization: `Bearer ${$('token').value.trim()}`, 'content-type': 'application/json', accept: 'application/json' };
}

// The token field fires `change` again when it loses focus; listing twice for one token would reset the
// chosen mapping and overwrite the status of a run already under way.
let listedToken = null;

async function loadList() {
  const select = $('mapping-id');
  const token = $('token').value.trim();
  try {
    const res = await fetch('/mappings', { headers: headers() });
    if (!res.ok) return setStatus(`Could not list mappings (${res.status}): paste an admin token first.`, 'bad');
    const list = await res.json();
    const chosen = select.value;
    select.replaceChildren(el('option', { value: '' }, '(first that matches)'));
    for (const m of list) select.append(el('option', { value: m.id }, `${m.id} — ${m.title}`));
    if (list.some((m) => m.id === chosen)) select.value = chosen;
    listedToken = token;
    setStatus(`${list.length} mappings loaded.`, 'ok');
  } catch (e) {
    setStatus(`Could not list mappings: ${e.message}`, 'bad');
  }
}

function requestBody() {
  const mode = document.querySelector('input[name=mode]:checked').value;
  const patient = $('patient').value.trim();
  const body = { payload: $('payload').value, device: { id: $('device-id').value.trim(), patient: patient === '' ? null : patient } };
  if ($('ndjson').checked) body.contentType = 'application/x-ndjson';
  if (mode === 'loaded' && $('mapping-id').value) body.mappingId = $('mapping-id').value;
  if (mode === 'yaml') body.mapping = $('mapping-text').value;
  if (mode === 'medtech') body.mapping = { devicecontent: $('mapping-text').value, fhirmapping: $('fhirmapping-text').value };
  return body;
}

function traceLine(step) {
  const parts = [step.at, step.expression, step.note].filter((x) => x !== undefined && x !== '');
  let value = '';
  if (step.step === 'validate') {
    const errors = (step.value.issue || []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
    value = errors.length === 0 ? 'valid' : `${errors.length} error(s)`;
  } else if (step.step === 'convert') {
    value = `${step.value.input} ${step.value.from} → ${step.value.output} ${step.value.to}`;
  } else if (step.value !== undefined && step.step !== 'error') {
    value = `→ ${JSON.stringify(step.value)}`;
  }
  return el('li', { 'data-step': step.step }, el('span', { class: 'kind' }, step.step), ' ', [...parts, value].filter(Boolean).join('  '));
}

function issueRows(item) {
  const rows = [];
  const add = (sev, where, text) => rows.push(el('tr', {}, el('td', {}, `item[${item.item}]`), el('td', { class: sev }, sev), el('td', {}, where), el('td', {}, text)));
  for (const step of item.trace) {
    if (step.step !== 'validate') continue;
    for (const i of step.value.issue || []) {
      if (i.severity === 'information') continue;
      add(i.severity, `${step.at} ${(i.expression || []).join(', ')}`, (i.details && i.details.text) || i.diagnostics || i.code);
    }
  }
  if (item.status === 'rejected' && !item.trace.some((s) => s.step === 'validate')) {
    for (const i of (item.outcome && item.outcome.issue) || []) add(i.severity, (i.expression || []).join(', '), (i.details && i.details.text) || i.diagnostics || i.code);
  }
  return rows;
}

function render(result) {
  $('output').textContent = JSON.stringify(result.bundle, null, 2);
  const trace = $('trace');
  trace.replaceChildren();
  const tbody = $('issues').querySelector('tbody');
  tbody.replaceChildren();
  for (const item of result.items) {
    trace.append(el('li', { class: 'item' }, `item[${item.item}]: ${item.status}${item.mapping ? ` (${item.mapping})` : ''}`));
    for (const step of item.trace) trace.append(traceLine(step));
    tbody.append(...issueRows(item));
  }
  if (tbody.children.length === 0) tbody.append(el('tr', {}, el('td', { colspan: '4' }, 'No issues: every resource is valid.')));
  const s = result.summary;
  setStatus(`${s.received} item(s): ${s.accepted} accepted, ${s.rejected} rejected.`, s.rejected === 0 ? 'ok' : 'bad');
}

function renderError(outcome, status) {
  $('output').textContent = '';
  $('trace').replaceChildren();
  const tbody = $('issues').querySelector('tbody');
  tbody.replaceChildren(...(outcome.issue || []).map((i) =>
    el('tr', {}, el('td', {}, '—'), el('td', { class: i.severity }, i.severity), el('td', {}, (i.expression || []).join(', ')), el('td', {}, (i.details && i.details.text) || i.diagnostics || i.code))));
  setStatus(`Refused (${status}): ${(outcome.issue && outcome.issue[0] && outcome.issue[0].details && outcome.issue[0].details.text) || 'see the issues'}`, 'bad');
}

async function run() {
  setStatus('Running…');
  try {
    const res = await fetch('/mappings/$test', { method: 'POST', headers: headers(), body: JSON.stringify(requestBody()) });
    const body = await res.json();
    if (res.ok) render(body);
    else renderError(body, res.status);
  } catch (e) {
    setStatus(`Request failed: ${e.message}`, 'bad');
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('payload').value = JSON.stringify(SAMPLE, null, 2);
  $('token').value = sessionStorage.getItem('iomt-admin-token') || '';
  $('token').addEventListener('change', () => {
    const token = $('token').value.trim();
    sessionStorage.setItem('iomt-admin-token', token);
    if (token !== listedToken) loadList();
  });
  $('reload-list').addEventListener('click', loadList);
  $('run').addEventListener('click', run);
  if ($('token').value) loadList();
});
