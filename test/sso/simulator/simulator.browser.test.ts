import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoApp, type DemoApp } from '../../../scripts/demo-app.ts';
import { setUpDemo } from '../../../scripts/demo-setup.ts';
import { ROOT_DIR } from '../../../src/paths.ts';
import { type LiveApp, startLiveApp } from '../../helpers/live-app.ts';
import { freePort } from '../../helpers/server-process.ts';

const SHOTS = path.join(ROOT_DIR, 'test-results', 'screenshots', 'simulator');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium && !process.env.CI) console.warn(`simulator browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

/**
 * The demo's whole sign-in in real headless Chromium, the app on another site (localhost) than Gatehouse
 * (127.0.0.1): the simulator page, the post-binding page's CSP and auto-submit, and the redirects that
 * follow the form post to the ACS, all enforced by a real browser; and the same without JavaScript.
 */
describe.runIf(hasChromium || process.env.CI)('IdP simulator in a real browser', () => {
  let live: LiveApp;
  let app: DemoApp;
  let browser: Browser;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    live = await startLiveApp();
    const port = await freePort();
    const demo = await setUpDemo(live.app, { appUrl: `http://localhost:${port}` });
    app = await startDemoApp({ issuer: live.url, clientId: demo.client.client_id, clientSecret: demo.client.client_secret, port, host: 'localhost' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await live?.close();
  });

  for (const javaScriptEnabled of [true, false]) {
    it(`signs in from the app through the simulator${javaScriptEnabled ? '' : ' without JavaScript'}`, async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled });
      const page = await context.newPage();
      const blocked: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
      });
      const suffix = javaScriptEnabled ? '' : '-nojs';
      const email = javaScriptEnabled ? 'lin@demo.test' : 'noam@demo.test';
      await page.goto(`${app.url}/`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Work email').fill(email);
      await page.getByRole('button', { name: 'Continue' }).click();

      await expect.poll(() => page.locator('h1').textContent(), { timeout: 15_000 }).toBe('Sign in to Demo Co');
      expect(page.url()).toContain('/sso/simulator/sso?SAMLRequest=');
      await page.screenshot({ path: path.join(SHOTS, `1-simulator${suffix}.png`), fullPage: true });
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('First name').fill('Lin');
      await page.getByLabel('Last name').fill('Kay');
      await page.getByLabel('Groups').fill('Engineering, Design');
      await page.getByRole('button', { name: 'Sign in as this person' }).click();

      if (!javaScriptEnabled) {
        // The post-binding page waits for a press of its button.
        await expect.poll(() => page.locator('h1').textContent(), { timeout: 15_000 }).toBe('Signing you in');
        await page.screenshot({ path: path.join(SHOTS, `2-post-binding${suffix}.png`), fullPage: true });
        await page.getByRole('button', { name: 'Continue' }).click();
      }
      await expect.poll(() => page.locator('h1').textContent(), { timeout: 30_000 }).toBe('Signed in');
      expect(page.url().startsWith(`${app.url}/callback?`)).toBe(true);
      const shown = await page.locator('main').textContent();
      expect(shown).toContain(email);
      expect(shown).toContain('member');
      await page.screenshot({ path: path.join(SHOTS, `3-claims${suffix}.png`), fullPage: true });
      expect(blocked).toEqual([]);
      await context.close();
    }, 90_000);
  }

  it('shows a field error, tied to its input, for an address off the org\'s domain', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const demo = (await live.api('GET', '/organizations')).body.data[0];
    const connection = (await live.api('GET', `/organizations/${demo.id}/connections`)).body.data[0];
    await page.goto(`${live.url}/sso/simulator/start/${connection.id}`);
    await page.getByLabel('Email').fill('someone@elsewhere.test');
    await page.getByRole('button', { name: 'Sign in as this person' }).click();
    const field = page.getByLabel('Email');
    await expect.poll(() => field.getAttribute('aria-invalid'), { timeout: 15_000 }).toBe('true');
    const describedBy = (await field.getAttribute('aria-describedby'))!.split(' ');
    const descriptions = await Promise.all(describedBy.map((id) => page.locator(`#${id}`).textContent()));
    expect(descriptions.join(' ')).toContain('Use an address @demo.test');
    await page.screenshot({ path: path.join(SHOTS, '4-error-mobile.png'), fullPage: true });
    await context.close();
  }, 60_000);
});
