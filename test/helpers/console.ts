import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page as ChromiumPage, chromium } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT_DIR } from '../../src/paths.ts';
import { HttpBrowser, type Page, text } from './http-browser.ts';
import type { LiveApp } from './live-app.ts';

export const CONSOLE_PASSWORD = 'correct horse battery staple';
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** CI always runs browser suites (.ci/run installs chromium); a machine without it skips them, saying so. */
export const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium && !process.env.CI) console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
export const runBrowserSuite = hasChromium || Boolean(process.env.CI);
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface ConsolePerson {
  orgId: string;
  userId: string;
  email: string;
  /** Signed in to nothing yet; has the cookies of the accepted invitation only. */
  browser: HttpBrowser;
}

/**
 * A person with a password in an org, made the way a real one is: an invitation through the
 * management API, accepted in the browser. Pass `orgId` to add them to an org that exists.
 */
export async function consolePerson(live: LiveApp, options: { email: string; role?: 'admin' | 'member'; orgId?: string; orgName?: string; sso?: boolean }): Promise<ConsolePerson> {
  const orgId = options.orgId ?? (await live.api('POST', '/organizations', { name: options.orgName ?? 'Acme', sso_entitled: options.sso ?? true })).body.id as string;
  const invitation = await live.api('POST', `/organizations/${orgId}/invitations`, { email: options.email, role: options.role ?? 'admin' });
  expect(invitation.status, JSON.stringify(invitation.body)).toBe(201);
  const browser = new HttpBrowser();
  const form = await browser.get(invitation.body.accept_url);
  const [first, last] = options.email.split('@')[0]!.split('.');
  const accepted = await browser.submit(form, '/invitations/', { first_name: cap(first!), last_name: cap(last ?? 'Admin'), password: CONSOLE_PASSWORD, password_confirm: CONSOLE_PASSWORD });
  expect(accepted.status).toBe(200);
  const user = (await live.api('GET', `/users?email=${encodeURIComponent(options.email)}`)).body.data[0];
  return { orgId, userId: user.id, email: options.email, browser };
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Signs `person` in to the console over plain HTTP; answers the page /console led to. */
export async function signInHttp(live: LiveApp, person: { browser: HttpBrowser; email: string }): Promise<Page> {
  const emailPage = await person.browser.follow(`${live.url}/console`);
  expect(text(emailPage.html)).toContain('to continue to Gatehouse console');
  const passwordPage = await person.browser.submit(emailPage, '/email', { email: person.email });
  const after = await person.browser.submit(passwordPage, '/password', { email: person.email, password: CONSOLE_PASSWORD });
  return person.browser.follow(after.location!);
}

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

/** Signs `email` in to the console in Chromium, from /console through the email and password pages. */
export async function signInChromium(page: ChromiumPage, live: LiveApp, email: string): Promise<void> {
  await page.goto(`${live.url}/console`);
  await page.getByLabel('Work email').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Password').fill(CONSOLE_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${live.url}/console`);
}

/** Where a suite's screenshots go: test-results/screenshots/<suite>/. */
export function screenshotDir(suite: string): string {
  const dir = path.join(ROOT_DIR, 'test-results', 'screenshots', suite);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Photographs the page at desktop and phone width, and checks that the phone never scrolls sideways. */
export async function shot(page: ChromiumPage, dir: string, name: string): Promise<void> {
  await page.screenshot({ path: path.join(dir, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  expect(overflow, `${name} scrolls sideways at 390 px`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: path.join(dir, `${name}-390.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}
