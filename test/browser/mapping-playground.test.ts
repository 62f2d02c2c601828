import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createTestBridge, type TestBridge } from '../support/test-bridge';
import { anchor } from '../support/anchors';

/**
 * The mapping playground in Debian's chromium (headless): load the page, run the sample with a loaded mapping,
 * then paste MedTech's basic templates and see the blood-pressure bug reported. The bridge runs in-process on a
 * free loopback port. Screenshots go to test-artifacts/ (gitignored).
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const BASIC = anchor('medtech', 'templates', 'basic');
const run = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`${CHROMIUM} is absent: the mapping playground browser test is skipped (CI installs it)`);

run('mapping playground in a browser', () => {
  let bridge: TestBridge;
  let browser: BrowserContext;
  let page: Page;
  let profileDir: string;
  let url: string;

  beforeAll(async () => {
    bridge = await createTestBridge({ IOMT_PORT: '0', IOMT_HOST: '127.0.0.1' });
    await bridge.server.start();
    url = `http://127.0.0.1:${bridge.server.info.port}`;
    profileDir = mkdtempSync(join(tmpdir(), 'iomt-playground-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM, viewport: { width: 1400, height: 950 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('runs the sample with a loaded mapping and shows output, trace and validation side by side', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${url}/mappings/playground`);
    await page.fill('#token', await bridge.token('iomt:admin'));
    await page.dispatchEvent('#token', 'change');
    await page.waitForSelector('#mapping-id option[value="pulse-oximeter"]', { state: 'attached' });
    await page.selectOption('#mapping-id', 'pulse-oximeter');
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('accepted'));
    expect(await page.textContent('#status')).toBe('1 item(s): 1 accepted, 0 rejected.');
    const output = JSON.parse((await page.textContent('#output')) ?? '{}') as { entry: Array<{ resource: { resourceType: string; code?: { coding: Array<{ code: string }> } } }> };
    expect(output.entry.map((e) => e.resource.resourceType)).toEqual(['Device', 'Observation', 'Observation']);
    expect(output.entry[1]?.resource.code?.coding[0]?.code).toBe('2708-6');
    expect(await page.locator('#trace li[data-step="read"]').count()).toBeGreaterThan(5);
    expect(await page.locator('#trace li[data-step="validate"]').count()).toBe(3);
    expect(await page.textContent('#issues tbody')).toBe('No issues: every resource is valid.');
    await page.screenshot({ path: join(ARTIFACTS, 'mapping-playground.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('takes pasted MedTech templates and reports the basic sample\'s blood-pressure bug', async () => {
    await page.check('input[name=mode][value=medtech]');
    await page.fill('#mapping-text', readFileSync(join(BASIC, 'devicecontent.json'), 'utf8'));
    await page.fill('#fhirmapping-text', readFileSync(join(BASIC, 'fhirmapping.json'), 'utf8'));
    await page.fill('#payload', JSON.stringify({ systolic: '120', diastolic: '80', deviceid: 'band-1', patientid: 'p-9', measurementdatetime: '2024-05-14T09:30:05Z' }));
    await page.fill('#patient', '');
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('rejected'));
    expect(await page.textContent('#status')).toBe('1 item(s): 0 accepted, 1 rejected.');
    expect(await page.textContent('#issues tbody')).toContain('Slice Observation.component:DiastolicBP');
    expect(await page.locator('#trace li[data-step="template"]').count()).toBe(6);
    await page.screenshot({ path: join(ARTIFACTS, 'mapping-playground-medtech.png'), fullPage: true });
  });
});
