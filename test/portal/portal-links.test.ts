import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectProblem } from '../helpers/api.ts';
import { HttpBrowser, text } from '../helpers/http-browser.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { listen, makeLink, openPortal, type PortalServer, readyOrg, snapshot } from './portal-helpers.ts';

/**
 * A setup link that cannot be opened, or a session that ended, says what happened and how to get a new
 * one, with the status a browser and the framing app can tell apart, and changes nothing.
 */
describe('setup wizard: link problems', () => {
  let t: TestApp;
  let server: PortalServer;
  let orgId: string;

  beforeEach(async () => {
    t = await createTestApp();
    server = await listen(t);
    orgId = (await t.api.post('/api/v1/organizations', { name: 'Acme' }).expect(201)).body.id;
  });
  afterEach(async () => {
    await server.close();
    await t.close();
  });

  const problem = (html: string) => ({
    heading: /<h1>([^<]*)<\/h1>/.exec(html)?.[1],
    message: text(/<p class="message text-center">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? ''),
    event: /data-gatehouse-event="([^"]*)"/.exec(html)?.[1],
    back: /<a href="([^"]*)" class="button button--secondary button--block" target="_top">Back to the application<\/a>/.exec(html)?.[1],
  });

  it('a link opens once: a second browser is told it was used, the first keeps its session', async () => {
    const link = await makeLink(t, server, orgId, 'dsync', 'https://app.example.com/settings');
    const admin = new HttpBrowser();
    const opened = await admin.get(link.url);
    expect(opened.status).toBe(303);
    expect(opened.location).toBe(`${server.url}/portal/dsync`);
    const before = await snapshot(t);

    const other = await new HttpBrowser().get(link.url);
    expect(other.status).toBe(410);
    expect(problem(other.html)).toEqual({
      heading: 'This link has already been used',
      message: 'A setup link opens once, so that nobody else can reuse it. Ask for a new setup link in the application (or from your colleague who sent it).',
      event: 'gatehouse:load_failed',
      back: 'https://app.example.com/settings',
    });
    expect(await snapshot(t)).toEqual(before);
    expect(await t.app.db.selectFrom('portal_sessions').select('id').execute()).toHaveLength(1);

    // The admin who opened it clicks it again (from the mail, say): their session carries on.
    const again = await admin.get(link.url);
    expect(again.status).toBe(302);
    expect(again.location).toBe(`${server.url}/portal/dsync`);
    expect((await admin.get(again.location!)).status).toBe(200);
  });

  it('an expired link says for how long it could be opened, and changes nothing', async () => {
    const link = await makeLink(t, server, orgId, 'domain_verification');
    t.clock.advance(5 * 60_000);
    const before = await snapshot(t);
    const page = await new HttpBrowser().get(link.url);
    expect(page.status).toBe(410);
    expect(problem(page.html)).toEqual({
      heading: 'This link has expired',
      message: 'This setup link could be opened for 5 minutes after it was made, and that time has passed. Ask for a new setup link in the application (or from your colleague who sent it).',
      event: 'gatehouse:load_failed',
      back: undefined,
    });
    expect(await snapshot(t)).toEqual(before);
    expect(await t.app.db.selectFrom('portal_sessions').select('id').execute()).toEqual([]);
  });

  it('one second before it expires, a link still opens', async () => {
    const link = await makeLink(t, server, orgId, 'domain_verification');
    t.clock.advance(5 * 60_000 - 1000);
    expect((await new HttpBrowser().get(link.url)).status).toBe(303);
  });

  it('an unknown or truncated link is a 404 that says so', async () => {
    const link = await makeLink(t, server, orgId, 'domain_verification');
    for (const url of [link.url.slice(0, -4), `${server.url}/portal/gpl_nothing`]) {
      const page = await new HttpBrowser().get(url);
      expect(page.status, url).toBe(404);
      expect(problem(page.html).heading, url).toBe('This link is not valid');
      expect(problem(page.html).message, url).toBe('The link may have been copied incompletely. Ask the person who sent it for a new setup link.');
    }
  });

  it('a revoked link is withdrawn, and revoking ends the session it opened', async () => {
    const unopened = await makeLink(t, server, orgId, 'dsync');
    await t.api.delete(`/api/v1/portal/links/${unopened.id}`).expect(200);
    const page = await new HttpBrowser().get(unopened.url);
    expect(page.status).toBe(410);
    expect(problem(page.html)).toMatchObject({ heading: 'This link was withdrawn', message: 'The application withdrew this setup link. Ask for a new one if you still need it.' });

    const { browser, linkId } = await openPortal(t, server, orgId, 'dsync');
    await t.api.delete(`/api/v1/portal/links/${linkId}`).expect(200);
    const ended = await browser.get(`${server.url}/portal/dsync`);
    expect(ended.status).toBe(401);
    expect(problem(ended.html)).toMatchObject({ heading: 'Your setup session has ended', event: 'gatehouse:session_expired' });
  });

  it('a session ends after an hour without activity, and each page opened starts the hour again', async () => {
    const { browser } = await openPortal(t, server, orgId, 'domain_verification');
    for (let i = 0; i < 3; i++) {
      t.clock.advance(59 * 60_000);
      expect((await browser.get(`${server.url}/portal/domains`)).status).toBe(200);
    }
    t.clock.advance(60 * 60_000);
    const before = await snapshot(t);
    const ended = await browser.get(`${server.url}/portal/domains`);
    expect(ended.status).toBe(401);
    expect(problem(ended.html)).toEqual({
      heading: 'Your setup session has ended',
      message: 'Setup sessions end after an hour without activity. Your progress is saved: open a new setup link to continue where you stopped.',
      event: 'gatehouse:session_expired',
      back: undefined,
    });
    expect(await snapshot(t)).toEqual(before);
    // Without any session cookie, the same.
    expect((await new HttpBrowser().get(`${server.url}/portal/dsync`)).status).toBe(401);
  });

  it("a session's pages are its intent's only: another intent's page points back, changing nothing", async () => {
    const { browser } = await openPortal(t, server, orgId, 'domain_verification', 'https://app.example.com/settings');
    const page = await browser.get(`${server.url}/portal/dsync`);
    expect(page.status).toBe(403);
    expect(problem(page.html)).toMatchObject({ heading: 'This page is not part of your setup link', back: 'https://app.example.com/settings' });
    expect(text(page.html)).toContain('Your setup link is for domain verification.');
    expect(page.html).toContain('href="/portal/domains"');
    expect(await t.app.db.selectFrom('directories').selectAll().execute()).toEqual([]);
  });

  it('every wizard page carries the way back to the application when the link had a return_url', async () => {
    const back = 'https://app.example.com/settings/sso?tab=1';
    for (const [intent, path] of [['domain_verification', '/portal/domains'], ['dsync', '/portal/dsync'], ['certificate_renewal', '/portal/certificates']] as const) {
      const org = intent === 'certificate_renewal' ? await readyOrg(t, `Org ${intent}`, `${intent.replace('_', '-')}.test`) : orgId;
      const { browser, page } = await openPortal(t, server, org, intent, back);
      expect(page.url, intent).toBe(`${server.url}${path}`);
      expect(page.html, intent).toContain('href="https://app.example.com/settings/sso?tab=1" target="_top">Back to the application</a>');
      const handover = await browser.get(`${server.url}/portal/handover`);
      expect(handover.html, intent).toContain('>Back to the application</a>');
      const { page: without } = await openPortal(t, server, org, intent);
      expect(without.html, intent).not.toContain('Back to the application');
    }
  });

  describe('sso links are refused through the API until the org is ready', () => {
    it('without the SSO plan: 409 sso_not_entitled, no link', async () => {
      const before = await snapshot(t);
      const res = await t.api.post('/api/v1/portal/links', { organization_id: orgId, intent: 'sso' });
      expectProblem(res, 409, 'sso_not_entitled', 'Acme is not entitled to single sign-on: set sso_entitled on the organization first.');
      expect(await snapshot(t)).toEqual(before);
      // certificate_renewal needs the plan too.
      expectProblem(await t.api.post('/api/v1/portal/links', { organization_id: orgId, intent: 'certificate_renewal' }), 409, 'sso_not_entitled');
    });

    it('with the plan but no verified domain and no IT contact: 422 sso_not_ready naming both; then each missing piece alone', async () => {
      await t.api.patch(`/api/v1/organizations/${orgId}`, { sso_entitled: true }).expect(200);
      const before = await snapshot(t);
      expectProblem(await t.api.post('/api/v1/portal/links', { organization_id: orgId, intent: 'sso' }), 422, 'sso_not_ready',
        "Before single sign-on can be set up, Acme needs a verified domain (people are sent to the IdP by their email's domain) and an IT contact (who is warned before the IdP's certificate expires).");
      expect(await snapshot(t)).toEqual(before);

      const domain = (await t.api.post(`/api/v1/organizations/${orgId}/domains`, { domain: 'acme.test' }).expect(201)).body.id;
      expectProblem(await t.api.post('/api/v1/portal/links', { organization_id: orgId, intent: 'sso' }), 422, 'sso_not_ready',
        "Before single sign-on can be set up, Acme needs a verified domain (people are sent to the IdP by their email's domain) and an IT contact (who is warned before the IdP's certificate expires).");
      await t.api.post(`/api/v1/domains/${domain}/verify`, { method: 'manual' }).expect(200);
      expectProblem(await t.api.post('/api/v1/portal/links', { organization_id: orgId, intent: 'sso' }), 422, 'sso_not_ready',
        "Before single sign-on can be set up, Acme needs an IT contact (who is warned before the IdP's certificate expires).");
      await t.api.post(`/api/v1/organizations/${orgId}/it_contacts`, { email: 'it@acme.test' }).expect(201);
      const ok = await t.api.post('/api/v1/portal/links', { organization_id: orgId, intent: 'sso' }).expect(201);
      expect(ok.body).toMatchObject({ intent: 'sso', link: expect.stringMatching(/^http:\/\/gatehouse\.test\/portal\/gpl_/) });
    });
  });
});
