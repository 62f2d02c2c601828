import type { AuditEvent, Device } from 'fhir/r4';
import { auditHead, auditSince, example } from '../http/helpers';
import { createTestBridge, type TestBridge } from '../support/test-bridge';
import { startFakeEhr, type FakeEhr } from './support/fake-ehr';
import { signIn } from './support/sign-in';

/**
 * The patient page after a launch: devices (model, firmware, status, last seen), latest readings, trend
 * charts, the waveform view, security headers, the audit entry, and linking an unassigned device.
 */

let ehr: FakeEhr;
let bridge: TestBridge;
let cookie: string;
/** This session's CSRF token, read from a link form while one is shown. */
let sessionCsrf: string;

beforeAll(async () => {
  ehr = await startFakeEhr();
  bridge = await createTestBridge({ IOMT_PUBLIC_URL: 'https://bridge.example', IOMT_APP_EHRS: ehr.fhirBaseUrl });
  const oxi = await bridge.addDevice('oxi-a', 'Patient/A');
  for (const [id, spo2] of [['m1', 95], ['m2', 97], ['m3', 93]] as const) {
    const payload = { ...JSON.parse(example('pulse-oximeter', 'with-message-id.json')), messageId: id, spo2, timestamp: `2024-05-14T0${id.slice(1)}:30:00+02:00` };
    expect((await bridge.ingest(oxi, JSON.stringify(payload))).statusCode).toBe(202);
  }
  const ecg = await bridge.addDevice('dev-ecg-patch-1', 'Patient/A');
  expect((await bridge.ingest(ecg, example('ecg-patch', 'with-id.json'))).statusCode).toBe(202);
  const other = await bridge.addDevice('oxi-b', 'Patient/B');
  expect((await bridge.ingest(other, JSON.stringify({ ...JSON.parse(example('pulse-oximeter', 'with-message-id.json')), messageId: 'b' }))).statusCode).toBe(202);
  await bridge.addDevice('cuff-free');
  cookie = await signIn(bridge, ehr);
  sessionCsrf = csrfOf((await page()).payload);
});
afterAll(async () => {
  await bridge.close();
  await ehr.close();
});

const page = () => bridge.server.inject({ method: 'GET', url: '/app', headers: { cookie } });
const csrfOf = (html: string): string => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe('the patient page', () => {
  it('shows the devices of the patient in context with model, firmware, status and last seen — and only theirs', async () => {
    const html = (await page()).payload;
    expect(html).toContain('<h1>Ada Rivera</h1>');
    expect(html).toMatch(/OxiClip 300<br><small>oxi-a<\/small>/);
    expect(html).toContain('<td>2.4.1</td>');
    expect(html).toContain('status-active');
    expect(html).toContain('2024-05-14 03:30 UTC+02:00'); // the newest reading of oxi-a, its own offset kept
    expect(html).toContain('LeadOne');
    expect(html).not.toContain('oxi-b');
  });

  it('shows the latest reading per code, trend charts of vital signs and the ECG waveform, accessibly', async () => {
    const html = (await page()).payload;
    expect(html).toMatch(/Oxygen saturation in Arterial blood<\/span>\s*<span class="value">93 %<\/span>/);
    expect(html).toContain('<h2 id="trends-h">Vital signs over time</h2>');
    expect(html).toMatch(/<svg [^>]*role="img" aria-labelledby="trend-\d+-t trend-\d+-d"/);
    expect(html).toMatch(/Oxygen saturation in Arterial blood: 3 readings, latest 93 %, range 93–97 %/);
    expect(html).toContain('<h2 id="waves-h">Waveforms</h2>');
    expect(html).toMatch(/10 samples every 4 ms/);
    expect(html).toContain('<summary>Values of Heart rate</summary>');
  });

  it('is HTML with a strict CSP, never cached, and leaves an audit entry naming the user and patient', async () => {
    const seq = await auditHead(bridge.store);
    const res = await page();
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.payload).not.toMatch(/<script>|style="/); // no inline code (CSP)
    const [event] = await auditSince(bridge.store, seq);
    expect(JSON.stringify(event)).toContain('Practitioner/prac-1');
    expect(JSON.stringify(event)).toContain('Patient/A');
    expect(event?.outcome).toBe('0');
  });

  it('serves its own script and stylesheet (no CDN)', async () => {
    const js = await bridge.server.inject('/app/assets/app.js');
    const css = await bridge.server.inject('/app/assets/app.css');
    expect([js.statusCode, css.statusCode]).toEqual([200, 200]);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect((await page()).payload).not.toMatch(/https?:\/\/(?!bridge\.example)[^"]*\.(js|css)"/);
  });
});

describe('linking an unassigned device', () => {
  const post = (id: string, payload: string, headers: Record<string, string> = {}) => bridge.server.inject({
    method: 'POST', url: `/app/devices/${id}/link`, payload, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });

  it('refuses a form without this session’s CSRF token or from another origin', async () => {
    const csrf = csrfOf((await page()).payload);
    expect((await post('cuff-free', 'csrf=forged')).statusCode).toBe(403);
    expect((await post('cuff-free', `csrf=${csrf}`, { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await bridge.store.getDevice('cuff-free'))?.patient).toBeUndefined();
  });

  it('links the device, writes a Device version with the patient, and audits it (action U)', async () => {
    const html = (await page()).payload;
    expect(html).toContain('Link cuff-free to Ada Rivera');
    const seq = await auditHead(bridge.store);
    const res = await post('cuff-free', `csrf=${csrfOf(html)}`, { origin: 'https://bridge.example' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/app#devices');
    expect((await bridge.store.getDevice('cuff-free'))?.patient).toBe('Patient/A');
    expect(((await bridge.store.read('Device', 'cuff-free')) as Device).patient?.reference).toBe('Patient/A');
    const events = await auditSince(bridge.store, seq);
    expect(events).toEqual([expect.objectContaining({ action: 'U', outcome: '0' }) as AuditEvent]);
    const after = (await page()).payload;
    expect(after).toContain('Device cuff-free is now linked to this patient.');
    expect(after).toMatch(/<small>cuff-free<\/small>/);
  });

  it('refuses a device linked to another patient, audited as a failure', async () => {
    const seq = await auditHead(bridge.store);
    const res = await post('oxi-b', `csrf=${sessionCsrf}`);
    expect(res.statusCode).toBe(303);
    expect((await bridge.store.getDevice('oxi-b'))?.patient).toBe('Patient/B');
    const events = await auditSince(bridge.store, seq);
    expect(events.filter((e) => e.action === 'U')).toEqual([expect.objectContaining({ outcome: '4', outcomeDesc: expect.stringContaining('ERR_DEVICE_ALREADY_LINKED') })]);
    expect((await page()).payload).toContain('already linked to a patient');
  });
});
