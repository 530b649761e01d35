/**
 * Headless Chromium for the browser suites: where it is, whether a suite runs, how it is launched, a
 * page that collects console errors, and screenshots at desktop and phone width.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page as ChromiumPage, chromium } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT_DIR } from '../../src/paths.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** CI always runs browser suites (.ci/run installs chromium); a machine without it skips them, saying so. */
export const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium && !process.env.CI) console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
export const runBrowserSuite = hasChromium || Boolean(process.env.CI);
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

/** A fresh browser context and page, collecting console errors and CSP violations (a finished page has none). */
export async function newChromiumPage(browser: Browser): Promise<{ context: BrowserContext; page: ChromiumPage; errors: string[] }> {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', (error) => errors.push(error.message));
  return { context, page, errors };
}

/** Where a suite's screenshots go: test-results/screenshots/<suite>/. */
export function screenshotDir(suite: string): string {
  const dir = path.join(ROOT_DIR, 'test-results', 'screenshots', suite);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** How many pixels the page is wider than its viewport (more than 0: it scrolls sideways). */
export const sidewaysOverflow = (page: ChromiumPage): Promise<number> =>
  page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

/** Photographs the page at desktop and phone width, and checks that the phone never scrolls sideways. */
export async function shot(page: ChromiumPage, dir: string, name: string): Promise<void> {
  await page.screenshot({ path: path.join(dir, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  expect(await sidewaysOverflow(page), `${name} scrolls sideways at 390 px`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: path.join(dir, `${name}-390.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}
