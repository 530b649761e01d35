/**
 * Helpers for the SSO wizard's tests against a live app (development mode: the IdP simulator answers
 * the test sign-in): an org ready for an `sso` link, links opened in a fresh HttpBrowser, and the wizard's
 * forms posted exactly as served.
 */
import { expect } from 'vitest';
import { HttpBrowser, type Page, postWithCsrf } from '../helpers/http-browser.ts';
import type { LiveApp } from '../helpers/live-app.ts';

/** An org with the SSO plan, a verified domain and an IT contact. */
export async function ssoReadyOrg(live: LiveApp, name: string, domain: string): Promise<string> {
  const org = await live.api('POST', '/organizations', { name, sso_entitled: true });
  expect(org.status).toBe(201);
  const dom = await live.api('POST', `/organizations/${org.body.id}/domains`, { domain });
  expect((await live.api('POST', `/domains/${dom.body.id}/verify`, { method: 'manual' })).status).toBe(200);
  expect((await live.api('POST', `/organizations/${org.body.id}/it_contacts`, { email: `it@${domain}` })).status).toBe(201);
  return org.body.id as string;
}

export async function ssoLink(live: LiveApp, organizationId: string): Promise<string> {
  const res = await live.api('POST', '/portal/links', { organization_id: organizationId, intent: 'sso' });
  expect(res.status).toBe(201);
  return res.body.link as string;
}

/** Opens a new `sso` link in `browser` (a fresh one by default) and follows it to the wizard's page. */
export async function openWizard(live: LiveApp, organizationId: string, browser = new HttpBrowser()): Promise<{ browser: HttpBrowser; page: Page }> {
  const page = await browser.follow(await ssoLink(live, organizationId));
  expect(page.status, page.html.slice(0, 800)).toBe(200);
  return { browser, page };
}

/** Posts the page's form whose action is exactly `path`, with the page's CSRF field. */
export function submitForm(browser: HttpBrowser, page: Page, path: string, fields: Record<string, string> = {}): Promise<Page> {
  if (!page.html.includes(`action="${path}"`)) throw new Error(`no form posting to ${path} on ${page.url}:\n${page.html.slice(0, 1500)}`);
  return postWithCsrf(browser, page, path, fields);
}

/** Follows a 303 and answers the page it leads to. */
export async function after(browser: HttpBrowser, page: Page, expectedPath?: RegExp): Promise<Page> {
  expect(page.status, page.html.slice(0, 1500)).toBe(303);
  if (expectedPath) expect(new URL(page.location!).pathname + new URL(page.location!).search).toMatch(expectedPath);
  return browser.get(page.location!);
}

/** The connection id in a wizard URL. */
export const connectionIdIn = (url: string): string => /\/portal\/sso\/(conn_[0-9A-Z]{26})\//.exec(url)![1]!;

/** A page's current step and heading, as the step indicator and the h1 say them. */
export function stepOf(page: Page): { current: string | undefined; heading: string | undefined } {
  return {
    current: /aria-current="step">[\s\S]*?<span class="sso-stepper__label">([^<]+)/.exec(page.html)?.[1],
    heading: /<h1>([^<]*)<\/h1>/.exec(page.html)?.[1]?.replace(/&#39;/g, "'"),
  };
}

/** The Cookie header `browser` would send to `url` (for requests HttpBrowser cannot make, such as multipart). */
export function cookieHeader(browser: HttpBrowser, url: string): string {
  const jar = (browser as unknown as { cookies: Map<string, Map<string, string>> }).cookies.get(new URL(url).host);
  return jar ? [...jar].map(([name, value]) => `${name}=${value}`).join('; ') : '';
}
