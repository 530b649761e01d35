import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorConnection } from '../../src/sso/simulator/simulator-connection.ts';
import { IDP } from '../helpers/saml.ts';
import { csrfOf, HttpBrowser, type Page, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { startUpstreamOidc, type UpstreamOidc } from '../helpers/upstream-oidc.ts';
import { after, connectionIdIn, cookieHeader, openWizard, ssoReadyOrg, stepOf, submitForm } from './sso-wizard.fixtures.ts';

/**
 * The `sso` intent of the setup wizard over real HTTP, as an IT admin's browser drives it: provider ->
 * instructions -> IdP details -> attributes -> test sign-in (a real round trip through the IdP simulator
 * or an upstream OpenID provider, ending back in the wizard) -> activate.
 */
describe('SSO setup wizard', () => {
  let live: LiveApp;
  let simulatorMetadata: string;

  beforeAll(async () => {
    live = await startLiveApp();
    simulatorMetadata = await (await fetch(`${live.url}/sso/simulator/metadata`)).text();
  });
  afterAll(async () => live?.close());

  const wizard = (id: string, step: string) => `${live.url}/portal/sso/${id}/${step}`;
  const connection = async (id: string) => (await live.api('GET', `/connections/${id}`)).body;
  const userCount = async () => (await live.app.db.selectFrom('users').select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

  /** The test sign-in through the simulator, from the test page to the page the ACS sends the browser to. */
  async function simulatorTest(browser: HttpBrowser, testPage: Page, id: string, person: Record<string, string>): Promise<Page> {
    const started = await submitForm(browser, testPage, `/portal/sso/${id}/test`);
    expect(started.status).toBe(200);
    expect(started.location).toMatch(new RegExp(`^${live.url}/sso/simulator/sso\\?SAMLRequest=`));
    const simulator = await browser.get(started.location!);
    expect(simulator.status).toBe(200);
    const posted = await browser.submit(simulator, '/sso/simulator/sso', person);
    return browser.submit(posted, '/acs', {});
  }

  it('sets up SAML with the IdP simulator: provider, instructions, metadata pasted, attributes, test sign-in, activate', async () => {
    const orgId = await ssoReadyOrg(live, 'Acme', 'acme.test');
    const { browser, page } = await openWizard(live, orgId);
    expect(page.url).toBe(`${live.url}/portal/sso/provider`);
    expect(stepOf(page)).toEqual({ current: 'Choose provider', heading: 'Choose your identity provider' });
    for (const name of ['Okta', 'Microsoft Entra ID', 'Google Workspace', 'OneLogin', 'JumpCloud', 'PingOne / PingFederate', 'AD FS', 'Auth0', 'Keycloak', 'SAML 2.0', 'OpenID Connect']) {
      expect(text(page.html)).toContain(name);
    }
    expect(page.html).toContain('src="/assets/providers/okta.svg?v=');

    const chosen = await submitForm(browser, page, '/portal/sso/provider', { provider: 'okta', protocol: 'saml' });
    const instructions = await after(browser, chosen, /^\/portal\/sso\/conn_\w+\/instructions$/);
    const id = connectionIdIn(instructions.url);
    expect(stepOf(instructions)).toEqual({ current: 'Set up the app', heading: 'Set up Gatehouse in Okta' });
    expect(await connection(id)).toMatchObject({ organization_id: orgId, type: 'saml', provider: 'okta', state: 'draft' });
    // Okta's own steps, with the values to paste under Okta's labels, each with a copy button.
    const shown = text(instructions.html);
    expect(shown).toContain('Create the app integration');
    expect(shown).toContain(`Single sign-on URL ${live.url}/sso/saml/${id}/acs`);
    expect(shown).toContain(`Audience URI (SP Entity ID) ${live.url}/sso/saml/${id}`);
    expect(shown).toMatch(/Email email .*First name firstName .*Last name lastName .*Groups groups/);
    expect(instructions.html).toMatch(/<button type="button" class="button button--secondary button--small sso-copy__button" data-copy="acs_url-\d+-\d+" hidden>Copy/);
    expect(instructions.html).toContain(`href="${live.url}/sso/saml/${id}/metadata" download`);

    const idp = await browser.get(wizard(id, 'idp'));
    expect(idp.html).toContain('enctype="multipart/form-data"');
    const saved = await submitForm(browser, idp, `/portal/sso/${id}/idp`, { method: 'xml', metadata_xml: simulatorMetadata });
    const review = await after(browser, saved, /\/idp\?saved=1$/);
    expect(text(review.html)).toContain('Saved and checked');
    expect(text(review.html)).toContain(`IdP entity id ${live.url}/sso/simulator`);
    expect(await connection(id)).toMatchObject({ saml: { idp_entity_id: `${live.url}/sso/simulator`, sso_url: `${live.url}/sso/simulator/sso` } });

    // Activation needs a successful test first.
    const early = await browser.get(wizard(id, 'activate'));
    expect(text(early.html)).toContain('Run a successful test sign-in first');
    expect(early.html).not.toContain(`action="/portal/sso/${id}/activate"`);

    const mapping = await browser.get(wizard(id, 'mapping'));
    expect(mapping.html).toMatch(/id="email" name="email" type="text" value="email"/);
    expect(mapping.html).toMatch(/id="groups" name="groups" type="text" value="groups"/);
    const mapped = await submitForm(browser, mapping, `/portal/sso/${id}/mapping`, { email: 'email', firstName: 'firstName', lastName: 'lastName', groups: 'groups' });
    const testPage = await after(browser, mapped, /\/test$/);
    expect(stepOf(testPage).current).toBe('Test sign-in');

    const users = await userCount();
    const acs = await simulatorTest(browser, testPage, id, { email: 'ada@acme.test', first_name: 'Ada', last_name: 'Lovelace', groups: 'Engineering, London office' });
    const result = await after(browser, acs, /^\/portal\/sso\/test-result\?ticket=tkt_\w+$/);
    const what = text(result.html);
    expect(what).toContain('Test sign-in succeeded');
    expect(what).toContain('NameID ada@acme.test');
    expect(what).toContain('Email ada@acme.test First name Ada Last name Lovelace Groups Engineering London office');
    expect(result.html).toContain('<code>firstName</code>');
    expect(await userCount()).toBe(users);
    // The result is shown once: its ticket is spent.
    const again = await browser.get(result.url);
    expect(again.status).toBe(404);
    expect(text(again.html)).toContain('No test result to show');

    const activate = await browser.get(wizard(id, 'activate'));
    expect(text(activate.html)).toContain('The test sign-in as ada@acme.test succeeded');
    const activated = await submitForm(browser, activate, `/portal/sso/${id}/activate`);
    const overview = await after(browser, activated, /^\/portal\/sso\?done=activated$/);
    expect(text(overview.html)).toContain('Single sign-on is active');
    expect(overview.html).toContain(`data-gatehouse-event="gatehouse:sso_activated" data-gatehouse-connection-id="${id}"`);
    expect(overview.html).toContain(`action="/portal/sso/${id}/deactivate"`);
    expect(await connection(id)).toMatchObject({ state: 'active' });
    // The overview's diagnostics list the test.
    expect(text(overview.html)).toContain('Test sign-in succeeded · ada@acme.test');

    // Deactivated from the overview: switched off, settings kept, a new test before it is turned on again.
    const deactivated = await after(browser, await submitForm(browser, overview, `/portal/sso/${id}/deactivate`), /^\/portal\/sso\?done=deactivated$/);
    expect(text(deactivated.html)).toContain('Single sign-on is switched off');
    expect(deactivated.html).toContain('data-gatehouse-event="gatehouse:sso_deactivated"');
    expect(text(deactivated.html)).toContain('Next: step 5, test sign-in');
    expect(await connection(id)).toMatchObject({ state: 'inactive', saml: { sso_url: `${live.url}/sso/simulator/sso` } });
  });

  it('sets up a replacement for an active connection: the old one signs people in until the new one is activated', async () => {
    const orgId = await ssoReadyOrg(live, 'Replace Co', 'replace.test');
    const old = await live.app.uow((trx) => createSimulatorConnection(trx, live.call, orgId));
    const { browser, page } = await openWizard(live, orgId);
    expect(page.url).toBe(`${live.url}/portal/sso`);
    expect(text(page.html)).toContain('People at Replace Co sign in through SAML 2.0');
    // The wizard does not change an active connection.
    expect(text((await browser.get(wizard(old.id, 'idp'))).html)).toContain('This connection is active');

    const change = await browser.get(`${live.url}/portal/sso/provider?connection=${old.id}`);
    expect(text(change.html)).toContain('This sets up a replacement');
    const instructions = await after(browser, await submitForm(browser, change, '/portal/sso/provider', { provider: 'keycloak', protocol: 'saml', connection_id: old.id }));
    const id = connectionIdIn(instructions.url);
    expect(id).not.toBe(old.id);
    expect(await connection(old.id)).toMatchObject({ state: 'active', provider: 'generic-saml' });
    const overview = await browser.get(`${live.url}/portal/sso`);
    expect(text(overview.html)).toContain('SAML 2.0 (IdP simulator) keeps signing people in until this setup is activated');

    await after(browser, await submitForm(browser, await browser.get(wizard(id, 'idp')), `/portal/sso/${id}/idp`, { method: 'url', metadata_url: `${live.url}/sso/simulator/metadata` }));
    await after(browser, await submitForm(browser, await browser.get(wizard(id, 'mapping')), `/portal/sso/${id}/mapping`, {}));
    const result = await after(browser, await simulatorTest(browser, await browser.get(wizard(id, 'test')), id, { email: 'kim@replace.test' }));
    expect(text(result.html)).toContain('Test sign-in succeeded');
    const activate = await browser.get(wizard(id, 'activate'));
    expect(text(activate.html)).toContain('SAML 2.0 (IdP simulator) stops signing people in: this connection replaces it.');
    await after(browser, await submitForm(browser, activate, `/portal/sso/${id}/activate`));
    expect(await connection(id)).toMatchObject({ state: 'active', provider: 'keycloak', saml: { metadata_url: `${live.url}/sso/simulator/metadata` } });
    expect(await connection(old.id)).toMatchObject({ state: 'inactive' });
  });

  it('shows a refused test sign-in in the wizard: the reason, the fix in the IdP\'s words, the detail', async () => {
    const orgId = await ssoReadyOrg(live, 'Refused Co', 'refused.test');
    const { browser, page } = await openWizard(live, orgId);
    const id = connectionIdIn((await after(browser, await submitForm(browser, page, '/portal/sso/provider', { provider: 'okta', protocol: 'saml' }))).url);
    await after(browser, await submitForm(browser, await browser.get(wizard(id, 'idp')), `/portal/sso/${id}/idp`, { method: 'xml', metadata_xml: simulatorMetadata }));
    // The simulator signs with its key; the connection trusts another certificate (as after an IdP's rotation).
    const other = IDP.certificate;
    await live.app.uow((trx) => trx.updateTable('connection_certificates').set({ pem: other, fingerprint_sha256: new X509Certificate(other).fingerprint256 }).where('connection_id', '=', id).execute());

    const acs = await simulatorTest(browser, await browser.get(wizard(id, 'test')), id, { email: 'bob@refused.test' });
    const result = await after(browser, acs, /^\/portal\/sso\/test-result\?reference=[\w-]+$/);
    const what = text(result.html);
    expect(what).toContain('The test sign-in was refused');
    expect(what).toContain('Sign-in could not be verified');
    expect(what).toContain('Reason certificate_unknown');
    expect(what).toMatch(/Signing certificate sent [0-9A-F:]{95}/);
    expect(what).toContain('How to fix it:');
    // A reference page can be opened again: the event stays.
    expect((await browser.get(result.url)).status).toBe(200);
  });

  it('continues where it stopped with a new link, and keeps the collected settings when switching Okta -> Entra', async () => {
    const orgId = await ssoReadyOrg(live, 'Resume Co', 'resume.test');
    const first = await openWizard(live, orgId);
    const id = connectionIdIn((await after(first.browser, await submitForm(first.browser, first.page, '/portal/sso/provider', { provider: 'okta', protocol: 'saml' }))).url);
    await after(first.browser, await submitForm(first.browser, await first.browser.get(wizard(id, 'idp')), `/portal/sso/${id}/idp`, { method: 'xml', metadata_xml: simulatorMetadata }));
    await after(first.browser, await submitForm(first.browser, await first.browser.get(wizard(id, 'mapping')), `/portal/sso/${id}/mapping`, { email: 'mail', firstName: 'firstName', lastName: 'lastName', groups: 'groups' }));

    // The tab is closed; a new link in a new browser lands on the overview, which continues at the test.
    const second = await openWizard(live, orgId);
    expect(second.page.url).toBe(`${live.url}/portal/sso`);
    expect(text(second.page.html)).toContain('Next: step 5, test sign-in');
    expect(second.page.html).toContain(`href="/portal/sso/${id}/test">Continue setup</a>`);

    // Switching provider keeps the IdP settings and the attribute name typed by hand.
    const change = await second.browser.get(`${live.url}/portal/sso/provider?connection=${id}`);
    expect(change.html).toMatch(/value="okta"[^>]* checked/);
    const switched = await after(second.browser, await submitForm(second.browser, change, '/portal/sso/provider', { provider: 'entra', protocol: 'saml', connection_id: id }));
    expect(connectionIdIn(switched.url)).toBe(id);
    expect(text(switched.html)).toContain('Set up Gatehouse in Microsoft Entra ID');
    const view = await connection(id);
    expect(view).toMatchObject({ provider: 'entra', name: 'Microsoft Entra ID SAML', state: 'draft', attribute_mapping: { email: 'mail' }, saml: { idp_entity_id: `${live.url}/sso/simulator` } });
    const mapping = await second.browser.get(wizard(id, 'mapping'));
    expect(mapping.html).toMatch(/id="email" name="email" type="text" value="mail"/);
    expect(mapping.html).toContain('value="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"');

    // Switching protocol starts an OIDC draft and leaves the SAML one as it was.
    const toOidc = await after(second.browser, await submitForm(second.browser, await second.browser.get(`${live.url}/portal/sso/provider?connection=${id}`), '/portal/sso/provider', { provider: 'entra', protocol: 'oidc', connection_id: id }));
    const oidcId = connectionIdIn(toOidc.url);
    expect(oidcId).not.toBe(id);
    expect(await connection(oidcId)).toMatchObject({ type: 'oidc', provider: 'entra', state: 'draft' });
    expect(await connection(id)).toMatchObject({ type: 'saml', provider: 'entra', saml: { idp_entity_id: `${live.url}/sso/simulator` } });
  });

  it('accepts the metadata as an uploaded file (multipart) and refuses a file over 1 MB', async () => {
    const orgId = await ssoReadyOrg(live, 'Upload Co', 'upload.test');
    const { browser, page } = await openWizard(live, orgId);
    const id = connectionIdIn((await after(browser, await submitForm(browser, page, '/portal/sso/provider', { provider: 'generic-saml' }))).url);
    const idp = await browser.get(wizard(id, 'idp'));
    const cookie = cookieHeader(browser, live.url);
    const upload = async (bytes: string) => {
      const body = new FormData();
      body.set('_csrf', csrfOf(idp));
      body.set('method', 'xml');
      body.set('metadata_xml', '');
      body.set('metadata_file', new Blob([bytes], { type: 'text/xml' }), 'idp-metadata.xml');
      return fetch(wizard(id, 'idp'), { method: 'POST', body, headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
    };
    const tooLarge = await upload(`<x>${'a'.repeat(1024 * 1024)}</x>`);
    expect(tooLarge.status).toBe(413);
    expect(text(await tooLarge.text())).toContain('IdP metadata larger than 1 MB is not accepted here');
    expect((await connection(id)).saml.sso_url).toBeNull();

    const ok = await upload(simulatorMetadata);
    expect(ok.status).toBe(303);
    expect((await connection(id)).saml).toMatchObject({ idp_entity_id: `${live.url}/sso/simulator`, sso_url: `${live.url}/sso/simulator/sso` });
  });

  it('sets up custom OIDC against an upstream provider, never showing the client secret again', async () => {
    const orgId = await ssoReadyOrg(live, 'Oidc Co', 'oidc.test');
    const { browser, page } = await openWizard(live, orgId);
    const instructions = await after(browser, await submitForm(browser, page, '/portal/sso/provider', { provider: 'generic-oidc' }));
    const id = connectionIdIn(instructions.url);
    const redirectUri = `${live.url}/sso/oidc/${id}/callback`;
    expect(text(instructions.html)).toContain(redirectUri);
    const upstream: UpstreamOidc = await startUpstreamOidc({ redirectUris: [redirectUri] });
    try {
      const idp = await browser.get(wizard(id, 'idp'));
      const saved = await submitForm(browser, idp, `/portal/sso/${id}/idp`, { issuer: upstream.issuer, client_id: upstream.clientId, client_secret: upstream.clientSecret });
      const review = await after(browser, saved, /\/idp\?saved=1$/);
      expect(text(review.html)).toContain('Client secret Saved (never shown again)');
      expect(review.html).not.toContain(upstream.clientSecret);
      // Saved again without a secret: the one already saved is kept.
      await after(browser, await submitForm(browser, review, `/portal/sso/${id}/idp`, { issuer: upstream.issuer, client_id: upstream.clientId, client_secret: '' }));

      await after(browser, await submitForm(browser, await browser.get(wizard(id, 'mapping')), `/portal/sso/${id}/mapping`, { email: 'email', firstName: 'given_name', lastName: 'family_name', groups: 'groups' }));
      upstream.signInAs({ sub: 'up-ada', claims: { email: 'ada@oidc.test', email_verified: true, given_name: 'Ada', family_name: 'Lovelace', groups: ['Engineering'] } });
      const users = await userCount();
      const started = await submitForm(browser, await browser.get(wizard(id, 'test')), `/portal/sso/${id}/test`);
      expect(started.location?.startsWith(`${upstream.issuer}/`)).toBe(true);
      const result = await browser.follow(started.location!);
      expect(result.url).toMatch(/\/portal\/sso\/test-result\?ticket=tkt_/);
      const what = text(result.html);
      expect(what).toContain('Test sign-in succeeded');
      expect(what).toContain('Subject (sub) up-ada');
      // The connection asks for `openid email profile`: this provider releases groups only for a `groups` scope.
      expect(what).toContain('Email ada@oidc.test First name Ada Last name Lovelace Groups None sent');
      expect(what).toContain('email_verified true');
      expect(await userCount()).toBe(users);

      const activated = await submitForm(browser, await browser.get(wizard(id, 'activate')), `/portal/sso/${id}/activate`);
      expect(text((await after(browser, activated)).html)).toContain('Single sign-on is active');
      expect(await connection(id)).toMatchObject({ state: 'active', oidc: { issuer: upstream.issuer, client_id: upstream.clientId } });
    } finally {
      await upstream.close();
    }
  });
});
