import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, type Page, text } from '../helpers/http-browser.ts';
import { read } from '../helpers/idp-metadata.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { after, connectionIdIn, cookieHeader, openWizard, ssoLink, ssoReadyOrg, submitForm } from './sso-wizard.fixtures.ts';

/**
 * The SSO wizard's refusals, one test per attack or mistake: each answers precisely and changes nothing.
 * Two orgs: Acme (the attacker's session) and Globex (whose connection Acme's session must never reach).
 */
describe('SSO setup wizard: refusals', () => {
  let live: LiveApp;
  let simulatorMetadata: string;
  let acme: { org: string; browser: HttpBrowser; page: Page; id: string };
  let globex: { org: string; browser: HttpBrowser; id: string };

  const TABLES = ['connections', 'connection_certificates', 'events', 'users', 'memberships', 'login_tickets', 'saml_requests', 'oidc_requests'] as const;
  async function snapshot(): Promise<Record<string, unknown[]>> {
    const out: Record<string, unknown[]> = {};
    for (const table of TABLES) out[table] = await live.app.db.selectFrom(table).selectAll().execute();
    return out;
  }
  const wizard = (id: string, step: string) => `${live.url}/portal/sso/${id}/${step}`;

  /** An org whose wizard has an Okta SAML draft with the simulator's metadata. */
  async function orgWithDraft(name: string, domain: string) {
    const org = await ssoReadyOrg(live, name, domain);
    const { browser, page } = await openWizard(live, org);
    const instructions = await after(browser, await submitForm(browser, page, '/portal/sso/provider', { provider: 'okta', protocol: 'saml' }));
    const id = connectionIdIn(instructions.url);
    await after(browser, await submitForm(browser, await browser.get(wizard(id, 'idp')), `/portal/sso/${id}/idp`, { method: 'xml', metadata_xml: simulatorMetadata }));
    return { org, browser, page: await browser.get(wizard(id, 'mapping')), id };
  }

  beforeAll(async () => {
    live = await startLiveApp();
    simulatorMetadata = await (await fetch(`${live.url}/sso/simulator/metadata`)).text();
    acme = await orgWithDraft('Acme', 'acme.test');
    globex = await orgWithDraft('Globex', 'globex.test');
  });
  afterAll(async () => live?.close());

  it("refuses another org's connection id in any URL or form with 404, changing nothing", async () => {
    const before = await snapshot();
    for (const step of ['instructions', 'idp', 'mapping', 'test', 'activate']) {
      const page = await acme.browser.get(wizard(globex.id, step));
      expect(page.status, step).toBe(404);
      expect(text(page.html)).toContain('Your organization has no single sign-on connection at this address');
      expect(page.html).not.toContain('Globex');
    }
    expect((await acme.browser.get(`${live.url}/portal/sso/provider?connection=${globex.id}`)).status).toBe(404);
    // Forms: Acme's own page's CSRF token, Globex's connection id.
    const csrf = /name="_csrf" value="([^"]+)"/.exec(acme.page.html)![1]!;
    const posts: Array<[string, Record<string, string>]> = [
      [wizard(globex.id, 'idp'), { method: 'xml', metadata_xml: simulatorMetadata }],
      [wizard(globex.id, 'mapping'), { email: 'mail' }],
      [wizard(globex.id, 'test'), {}],
      [wizard(globex.id, 'activate'), {}],
      [wizard(globex.id, 'deactivate'), {}],
      [`${live.url}/portal/sso/provider`, { provider: 'entra', protocol: 'saml', connection_id: globex.id }],
    ];
    for (const [url, fields] of posts) {
      const res = await acme.browser.request('POST', url, { _csrf: csrf, ...fields });
      expect(res.status, url).toBe(404);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a forged or missing CSRF token with 403, changing nothing', async () => {
    const before = await snapshot();
    const forged = await acme.browser.request('POST', wizard(acme.id, 'mapping'), { _csrf: 'A'.repeat(43), email: 'mail' });
    expect(forged.status).toBe(403);
    expect(text(forged.html)).toContain('This form expired or was not sent from this site');
    // A token from Globex's session does not pass in Acme's: tokens are bound to the portal session.
    const globexCsrf = /name="_csrf" value="([^"]+)"/.exec((await globex.browser.get(wizard(globex.id, 'mapping'))).html)![1]!;
    expect((await acme.browser.request('POST', wizard(acme.id, 'activate'), { _csrf: globexCsrf })).status).toBe(403);
    expect((await acme.browser.request('POST', `${live.url}/portal/sso/provider`, { provider: 'entra' })).status).toBe(403);
    // The multipart IdP form is checked as well.
    const body = new FormData();
    body.set('_csrf', 'B'.repeat(43));
    body.set('method', 'xml');
    body.set('metadata_file', new Blob([simulatorMetadata]), 'metadata.xml');
    const cookie = cookieHeader(acme.browser, live.url);
    expect((await fetch(wizard(acme.id, 'idp'), { method: 'POST', body, headers: { cookie, accept: 'text/html' }, redirect: 'manual' })).status).toBe(403);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses malformed metadata with the precise reason at the field, changing nothing', async () => {
    const idp = await acme.browser.get(wizard(acme.id, 'idp'));
    const before = await snapshot();
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ method: 'xml', metadata_xml: 'hello' }, 'metadata_xml', 'This is not an XML document, so it cannot be SAML metadata.'],
      [{ method: 'xml', metadata_xml: '<html><body>Sign in</body></html>' }, 'metadata_xml', 'This XML document is not SAML 2.0 metadata: its root element is <html>'],
      [{ method: 'xml', metadata_xml: simulatorMetadata.replace(/<(md:)?KeyDescriptor[\s\S]*<\/(md:)?KeyDescriptor>/, '') }, 'metadata_xml', 'publishes no signing certificate'],
      [{ method: 'url', metadata_url: 'http://127.0.0.1:9/metadata' }, 'metadata_url', 'Gatehouse could not download the metadata from http://127.0.0.1:9/metadata'],
      [{ method: 'manual', idp_entity_id: 'https://idp.example.com', sso_url: 'https://idp.example.com/sso', certificate: '-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----' }, 'certificate', 'The certificate is not valid base64'],
      [{ method: 'manual', idp_entity_id: 'https://idp.example.com', sso_url: 'ftp://idp.example.com/sso', certificate: 'x' }, 'sso_url', 'The IdP single sign-on URL must use https'],
    ];
    for (const [fields, field, message] of cases) {
      const res = await submitForm(acme.browser, idp, `/portal/sso/${acme.id}/idp`, fields);
      expect(res.status, JSON.stringify(fields).slice(0, 80)).toBe(422);
      expect(res.html).toMatch(new RegExp(`id="${field}"[^>]*aria-invalid="true"`));
      const error = text(/<p class="field__error" id="[^"]+-error">([\s\S]*?)<\/p>/.exec(res.html)?.[1] ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
      expect(error).toContain(message);
      expect(res.html).toContain('Gatehouse could not use these details');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('offers the IdPs of a multi-IdP file as a choice, then saves the one chosen', async () => {
    const idp = await acme.browser.get(wizard(acme.id, 'idp'));
    const aggregate = read('aggregate-rctsaai-signed.xml');
    const res = await submitForm(acme.browser, idp, `/portal/sso/${acme.id}/idp`, { method: 'xml', metadata_xml: aggregate });
    expect(res.status).toBe(422);
    const choices = [...res.html.matchAll(/name="entity_id" value="([^"]+)"/g)].map((m) => m[1]);
    expect(choices.length).toBe(2);
    const chosen = await submitForm(acme.browser, res, `/portal/sso/${acme.id}/idp`, { method: 'xml', metadata_xml: aggregate, entity_id: choices[1]! });
    expect(chosen.status).toBe(303);
    expect((await live.api('GET', `/connections/${acme.id}`)).body.saml.idp_entity_id).toBe(choices[1]);
    // Back to the simulator for the other tests.
    await after(acme.browser, await submitForm(acme.browser, idp, `/portal/sso/${acme.id}/idp`, { method: 'xml', metadata_xml: simulatorMetadata }));
  });

  it('saves metadata with an expired signing certificate and shows a warning, not a refusal', async () => {
    const org = await ssoReadyOrg(live, 'Expired Co', 'expired.test');
    const { browser, page } = await openWizard(live, org);
    const id = connectionIdIn((await after(browser, await submitForm(browser, page, '/portal/sso/provider', { provider: 'onelogin', protocol: 'saml' }))).url);
    const saved = await submitForm(browser, await browser.get(wizard(id, 'idp')), `/portal/sso/${id}/idp`, { method: 'xml', metadata_xml: read('onelogin.xml') });
    const review = await after(browser, saved, /\?saved=1$/);
    expect(text(review.html)).toContain('A signing certificate has expired');
    expect(text(review.html)).toMatch(/expired on 5 Jun 2018/);
    expect((await live.api('GET', `/connections/${id}`)).body.saml.certificates).toHaveLength(1);
  });

  it('refuses activation before a successful test', async () => {
    const before = await snapshot();
    const activate = await acme.browser.get(wizard(acme.id, 'activate'));
    expect(activate.html).not.toContain(`action="/portal/sso/${acme.id}/activate"`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(acme.page.html)![1]!;
    const refused = await acme.browser.request('POST', wizard(acme.id, 'activate'), { _csrf: csrf });
    expect(refused.status).toBe(409);
    expect(text(refused.html)).toContain('Run a successful test sign-in before activating');
    expect(await snapshot()).toEqual(before);
    // The API's own activation is the operator's business; the wizard's is gated.
    expect((await live.api('GET', `/connections/${acme.id}`)).body.state).toBe('draft');
  });

  it('runs the test sign-in without creating a user, a membership or a sign-in, and its result is only its org\'s', async () => {
    const users = await live.app.db.selectFrom('users').selectAll().execute();
    const memberships = await live.app.db.selectFrom('memberships').selectAll().execute();
    const testPage = await acme.browser.get(wizard(acme.id, 'test'));
    const started = await submitForm(acme.browser, testPage, `/portal/sso/${acme.id}/test`);
    const simulator = await acme.browser.get(started.location!);
    const posted = await acme.browser.submit(simulator, '/sso/simulator/sso', { email: 'new.person@acme.test', first_name: 'New', last_name: 'Person' });
    const acs = await acme.browser.submit(posted, '/acs', {});
    expect(acs.status).toBe(303);
    const resultUrl = new URL(acs.location!);
    // Globex's session cannot read (or spend) Acme's result.
    const stolen = await globex.browser.get(resultUrl.href);
    expect(stolen.status).toBe(404);
    expect(stolen.html).not.toContain('new.person@acme.test');
    const result = await acme.browser.get(resultUrl.href);
    expect(text(result.html)).toContain('Email new.person@acme.test');
    expect(await live.app.db.selectFrom('users').selectAll().execute()).toEqual(users);
    expect(await live.app.db.selectFrom('memberships').selectAll().execute()).toEqual(memberships);
    const signIns = await live.api('GET', `/events?organization_id=${acme.org}&types=user.signed_in,user.created`);
    expect(signIns.body.data).toEqual([]);

    // A change to the settings after the test needs a new test before activation.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const mapping = await acme.browser.get(wizard(acme.id, 'mapping'));
    await after(acme.browser, await submitForm(acme.browser, mapping, `/portal/sso/${acme.id}/mapping`, { email: 'email', firstName: 'firstName', lastName: 'lastName', groups: 'groups' }));
    const stale = await acme.browser.request('POST', wizard(acme.id, 'activate'), { _csrf: /name="_csrf" value="([^"]+)"/.exec(mapping.html)![1]! });
    expect(stale.status).toBe(409);
    const again = await submitForm(acme.browser, await acme.browser.get(wizard(acme.id, 'test')), `/portal/sso/${acme.id}/test`);
    const acs2 = await acme.browser.submit(await acme.browser.submit(await acme.browser.get(again.location!), '/sso/simulator/sso', { email: 'new.person@acme.test' }), '/acs', {});
    expect(text((await after(acme.browser, acs2)).html)).toContain('Test sign-in succeeded');

    const activate = await acme.browser.get(wizard(acme.id, 'activate'));
    expect((await submitForm(acme.browser, activate, `/portal/sso/${acme.id}/activate`)).status).toBe(303);
    expect((await live.api('GET', `/connections/${acme.id}`)).body.state).toBe('active');
    // An active connection is not changed by the wizard: a replacement is set up instead.
    const idp = await acme.browser.get(wizard(acme.id, 'idp'));
    expect(text(idp.html)).toContain('This connection is active');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(idp.html)?.[1] ?? /name="_csrf" value="([^"]+)"/.exec(activate.html)![1]!;
    const changed = await acme.browser.request('POST', wizard(acme.id, 'mapping'), { _csrf: csrf, email: 'mail' });
    expect(changed.status).toBe(409);
  });

  it('checks the session: none answers 401, a session for another intent 403', async () => {
    expect((await new HttpBrowser().get(wizard(acme.id, 'idp'))).status).toBe(401);
    const dsync = new HttpBrowser();
    const res = await live.api('POST', '/portal/links', { organization_id: acme.org, intent: 'dsync' });
    await dsync.follow(res.body.link);
    const page = await dsync.get(wizard(acme.id, 'idp'));
    expect(page.status).toBe(403);
    expect(text(page.html)).toContain('This page is not part of your setup link');
    // A spent sso link does not open a second session.
    const link = await ssoLink(live, acme.org);
    await new HttpBrowser().get(link);
    expect((await new HttpBrowser().get(link)).status).toBe(410);
  });
});
