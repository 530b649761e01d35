import type { Page as ChromiumPage } from 'playwright-core';
import { expect } from 'vitest';
import { csrfOf, HttpBrowser, type Page, text } from './http-browser.ts';
import type { LiveApp } from './live-app.ts';

export const CONSOLE_PASSWORD = 'correct horse battery staple';

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

/** The form token of `person`'s console session, read from the sign-out page; '' when that page has none. */
export async function consoleCsrf(live: LiveApp, person: { browser: HttpBrowser }): Promise<string> {
  const page = await person.browser.get(`${live.url}/console/sign-out`);
  try {
    return csrfOf(page);
  } catch {
    return '';
  }
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
