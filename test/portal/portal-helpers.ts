/**
 * Helpers for the setup wizard's page tests: the test app (fixed clock) listening on loopback so that
 * HttpBrowser drives the pages as served, links made through the API, and a snapshot that covers the
 * wizard's own tables too.
 */
import http from 'node:http';
import { expect } from 'vitest';
import type { PortalIntent } from '../../src/db/schema.ts';
import { HttpBrowser, type Page, postWithCsrf } from '../helpers/http-browser.ts';
import type { TestApp } from '../helpers/test-app.ts';

export interface PortalServer {
  url: string;
  close(): Promise<void>;
}

/** The test app's Koa on 127.0.0.1 (the app's base URL stays http://gatehouse.test: links are rewritten). */
export async function listen(t: TestApp): Promise<PortalServer> {
  const server = http.createServer(t.app.koa.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A link made through the API, pointed at the listening server. */
export async function makeLink(t: TestApp, server: PortalServer, organizationId: string, intent: PortalIntent, returnUrl?: string): Promise<{ id: string; url: string }> {
  const res = await t.api.post('/api/v1/portal/links', { organization_id: organizationId, intent, ...(returnUrl ? { return_url: returnUrl } : {}) }).expect(201);
  return { id: res.body.id, url: localUrl(res.body.link as string, server) };
}

export const localUrl = (link: string, server: PortalServer): string => link.replace(t0, server.url);
const t0 = 'http://gatehouse.test';

/** Opens a fresh link in a new browser: answers the browser and the intent's first page. */
export async function openPortal(t: TestApp, server: PortalServer, organizationId: string, intent: PortalIntent, returnUrl?: string): Promise<{ browser: HttpBrowser; page: Page; linkId: string }> {
  const browser = new HttpBrowser();
  const link = await makeLink(t, server, organizationId, intent, returnUrl);
  const page = await browser.follow(link.url);
  expect(page.status, page.html.slice(0, 500)).toBe(200);
  return { browser, page, linkId: link.id };
}

const TABLES = [
  'organizations', 'domains', 'it_contacts', 'sites', 'site_assignments', 'memberships', 'events', 'mail_outbox', 'connections', 'connection_certificates',
  'directories', 'group_mappings', 'portal_links',
] as const;

/** Every row of the tables the wizard can change (portal_sessions' sliding expiry and rate_limits aside). */
export async function snapshot(t: TestApp): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of TABLES) out[table] = await t.app.db.selectFrom(table).selectAll().orderBy('id').execute();
  return out;
}

/** Posts a form of `page` to exactly `path` (HttpBrowser.submit matches actions by substring) with the page's CSRF field. */
export function post(browser: HttpBrowser, page: Page, path: string, fields: Record<string, string> = {}): Promise<Page> {
  const action = new RegExp(`<form[^>]*action="${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`);
  if (!action.test(page.html)) throw new Error(`no form posting to ${path} on ${page.url}`);
  return postWithCsrf(browser, page, path, fields);
}

/** An org with SSO, a verified domain and an IT contact (what `sso` and `certificate_renewal` links need). */
export async function readyOrg(t: TestApp, name: string, domain: string): Promise<string> {
  const org = (await t.api.post('/api/v1/organizations', { name, sso_entitled: true }).expect(201)).body.id as string;
  const dom = (await t.api.post(`/api/v1/organizations/${org}/domains`, { domain }).expect(201)).body.id as string;
  await t.api.post(`/api/v1/domains/${dom}/verify`, { method: 'manual' }).expect(200);
  await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: `it@${domain}`, name: 'Ida Tech' }).expect(201);
  return org;
}

/** A portal session driven with supertest (for multipart uploads and headers): its cookie and a page reader. */
export async function supertestSession(t: TestApp, organizationId: string, intent: PortalIntent): Promise<{ cookie: string; page(path: string): Promise<{ status: number; html: string; csrf: string }> }> {
  const link = (await t.api.post('/api/v1/portal/links', { organization_id: organizationId, intent }).expect(201)).body.link as string;
  const opened = await t.http.get(new URL(link).pathname).expect(303);
  const cookie = (opened.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('gh_portal='))!.split(';')[0]!;
  return {
    cookie,
    async page(path) {
      const res = await t.http.get(path).set('Cookie', cookie).set('Accept', 'text/html');
      return { status: res.status, html: res.text, csrf: /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1] ?? '' };
    },
  };
}
