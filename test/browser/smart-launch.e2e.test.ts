import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Observation } from 'fhir/r4';
import { chromium, type BrowserContext } from 'playwright-core';
import { signDeviceToken } from '../../src/ingest';
import { registerDevices, startBridgeProcess, type BridgeProcess, type ProcessDevice } from '../delivery/support/bridge-process';
import { example } from '../http/helpers';
import { startSandboxProcess, type SandboxProcess } from '../sandbox/support/sandbox-process';
import { authorize, tokenRequest } from '../sandbox/support/smart-flow';

/**
 * The whole SMART story over real sockets: the sandbox EHR (a separate process, opaque tokens) launches the
 * app in Debian's chromium — launch → authorize (PKCE) → callback → the patient page shows the readings
 * ingested into the bridge; a device is linked by clicking. The same EHR's opaque tokens open the FHIR API
 * through RFC 7662 introspection. Needs `npm run build` (both run from dist/). A screenshot is kept in
 * test-artifacts/.
 */

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const run = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`${CHROMIUM} is absent: the browser SMART launch test is skipped (CI installs it)`);

/** A free loopback port: the sandbox must know the bridge's URL before the bridge starts (and vice versa). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function ingest(bridge: BridgeProcess, device: ProcessDevice, mapping: string, payload: unknown): Promise<void> {
  const body = JSON.stringify(payload);
  const token = await signDeviceToken({ privateJwk: device.privateJwk, deviceId: device.id, audience: `${bridge.publicUrl}/ingest`, body });
  const res = await fetch(`${bridge.url}/ingest/${mapping}`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
}

run('SMART EHR launch from the sandbox EHR, in a browser', () => {
  let dataDir: string;
  let sandbox: SandboxProcess;
  let bridge: BridgeProcess;
  let browser: BrowserContext;
  let bridgeUrl: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'iomt-browser-'));
    bridgeUrl = `http://127.0.0.1:${await freePort()}`;
    sandbox = await startSandboxProcess(['--auto-approve', '--token-format', 'opaque', '--bridge-url', bridgeUrl]);
    const [oximeter, ecg] = [...await registerDevices(dataDir, ['oxi-ward-3'], 'Patient/example'), ...await registerDevices(dataDir, ['dev-ecg-patch-1'], 'Patient/example')];
    const store = (await import('../../src/store')).openSqliteStore({ file: join(dataDir, 'iomt-bridge.db') });
    await store.addDevice({ id: 'cuff-spare-7', publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } });
    await store.close();
    bridge = await startBridgeProcess(dataDir, {
      IOMT_PORT: bridgeUrl.split(':')[2]!, IOMT_PUBLIC_URL: bridgeUrl, IOMT_APP_EHRS: sandbox.fhirBaseUrl,
      IOMT_AUTH_AUTHORIZE_URL: sandbox.authorizeUrl, IOMT_AUTH_TOKEN_URL: sandbox.tokenUrl,
      IOMT_AUTH_INTROSPECTION_URL: sandbox.introspectionUrl, IOMT_AUTH_INTROSPECTION_CLIENT_ID: sandbox.clients.introspector,
      IOMT_AUTH_INTROSPECTION_CLIENT_SECRET: sandbox.clients.introspectorSecret, IOMT_DEV_ISSUER: 'on',
    });
    const base = JSON.parse(example('pulse-oximeter', 'with-message-id.json')) as Record<string, unknown>;
    for (let i = 0; i < 8; i += 1) {
      await ingest(bridge, oximeter!, 'pulse-oximeter', { ...base, messageId: `w-${i}`, timestamp: `2024-05-14T${String(8 + i).padStart(2, '0')}:00:00+02:00`, spo2: 93 + (i % 5), pulseRate: 64 + 3 * (i % 4) });
    }
    await ingest(bridge, ecg!, 'ecg-patch', JSON.parse(example('ecg-patch', 'with-id.json')));
    // A fresh profile per run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(join(dataDir, 'chromium'), {
      executablePath: CHROMIUM, viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await bridge?.stop();
    await sandbox?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('launch → authorize → the page shows the patient’s readings from the bridge; a device is linked by keyboard', async () => {
    const page = await browser.newPage();
    const launch = `${sandbox.launchUrl}?app=${encodeURIComponent(`${bridgeUrl}/launch`)}&patient=example`;
    await page.goto(launch);
    await page.waitForURL(`${bridgeUrl}/app`);
    expect(await page.textContent('h1')).toBe('Ada Rivera');
    const tiles = await page.locator('.tile .value').allTextContents();
    expect(tiles).toEqual(expect.arrayContaining(['95 %', '73 /min']));
    expect(await page.locator('section[aria-labelledby="trends-h"] svg[role="img"]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('section[aria-labelledby="waves-h"] polyline.wave').count()).toBeGreaterThan(0);
    expect(await page.textContent('#devices')).toContain('OxiClip 300');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'smart-ehr-launch.png'), fullPage: true });

    // Keyboard: the skip link comes first; the link button is reachable and operable without a mouse.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.getByRole('button', { name: 'Link cuff-spare-7 to Ada Rivera' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${bridgeUrl}/app#devices`);
    expect(await page.textContent('[role="status"]')).toContain('Device cuff-spare-7 is now linked to this patient.');
    await page.close();
  }, 60_000);

  it('an opaque token from the same EHR opens the FHIR API through introspection, confined to its patient', async () => {
    const redirectUri = `${bridgeUrl}/app/callback`;
    const flow = await authorize({
      authorizeUrl: sandbox.authorizeUrl, clientId: sandbox.clients.app, redirectUri, scope: 'launch/patient patient/Observation.rs',
      aud: `${bridgeUrl}/fhir`, extra: { sandbox_patient: 'example' },
    });
    const { status, body } = await tokenRequest(sandbox.tokenUrl, {
      grant_type: 'authorization_code', code: flow.code!, redirect_uri: redirectUri, client_id: sandbox.clients.app, code_verifier: flow.verifier,
    });
    expect(status).toBe(200);
    const token = String(body.access_token);
    expect(token.split('.')).toHaveLength(1); // opaque, not a JWT
    const res = await fetch(`${bridgeUrl}/fhir/Observation`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const bundle = (await res.json()) as Bundle<Observation>;
    expect(bundle.total).toBeGreaterThan(0);
    expect(new Set(bundle.entry?.map((e) => e.resource?.subject?.reference))).toEqual(new Set(['Patient/example']));
    const bad = await fetch(`${bridgeUrl}/fhir/Observation`, { headers: { authorization: `Bearer ${token}x` } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  }, 30_000);
});
