import { X509Certificate } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newChromiumPage, runBrowserSuite, screenshotDir, shot as shoot } from '../helpers/chromium.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { IDP } from '../helpers/saml.ts';
import { startUpstreamOidc, type UpstreamOidc } from '../helpers/upstream-oidc.ts';
import { ssoLink, ssoReadyOrg } from '../portal/sso-wizard.fixtures.ts';

const BROWSER_TEST_MS = 90_000;

/**
 * The `sso` setup wizard in headless Chromium, as an IT admin walks it: link -> provider -> instructions
 * -> IdP details -> attributes -> test sign-in through a real IdP -> activate, for SAML (the IdP
 * simulator, its metadata pasted) and for custom OIDC (an in-test OpenID provider), and the saved
 * progress (tab closed, new link, continue, switch provider). Every step is photographed at 1280 and
 * 390 px wide, and checked for sideways scrolling on the phone.
 */
describe.runIf(runBrowserSuite)('SSO setup wizard in a real browser', () => {
  let live: LiveApp;
  let browser: Browser;
  let simulatorMetadata: string;
  const SHOTS = screenshotDir('portal-sso');

  beforeAll(async () => {
    live = await startLiveApp();
    simulatorMetadata = await (await fetch(`${live.url}/sso/simulator/metadata`)).text();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await live?.close();
  });

  const newPage = () => newChromiumPage(browser);
  /** Photographs the page at 1280 and 390 px (test-results/screenshots/portal-sso/), checking the phone never scrolls sideways. */
  const shot = (page: Page, name: string) => shoot(page, SHOTS, name);

  const providerRadio = (page: Page, name: RegExp) => page.getByRole('group', { name: 'Identity provider' }).getByRole('radio', { name });
  const protocolRadio = (page: Page, name: RegExp) => page.getByRole('group', { name: 'Protocol' }).getByRole('radio', { name });
  const heading = (page: Page) => page.locator('h1').first().textContent();
  const connectionId = (page: Page) => /\/portal\/sso\/(conn_\w+)\//.exec(page.url())![1]!;

  /** From the provider page to the saved IdP details (SAML, the simulator's metadata pasted). */
  async function samlUpToDetails(page: Page, prefix: string | undefined, provider = 'Okta') {
    await providerRadio(page, new RegExp(`^${provider}`)).check();
    await protocolRadio(page, /^SAML 2\.0/).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/instructions$/);
    expect(await heading(page)).toBe(`Set up Gatehouse in ${provider}`);
    if (prefix) await shot(page, `${prefix}-2-instructions`);
    await page.getByRole('link', { name: 'Continue: IdP details' }).click();
    await page.waitForURL(/\/idp$/);
    await page.getByRole('radio', { name: /^Metadata file/ }).check();
    // Only the chosen way's fields show.
    expect(await page.getByLabel('Metadata URL', { exact: true }).isVisible()).toBe(false);
    await page.getByLabel('Or paste the metadata XML').fill(simulatorMetadata);
    if (prefix) await shot(page, `${prefix}-3-idp-details`);
    await page.getByRole('button', { name: 'Check and save' }).click();
    await page.waitForURL(/\/idp\?saved=1$/);
    await page.getByText('Saved and checked').waitFor();
    if (prefix) await shot(page, `${prefix}-3b-idp-saved`);
  }

  it('SAML with the IdP simulator: link, provider, instructions, metadata pasted, attributes, test sign-in, activate', async () => {
    const orgId = await ssoReadyOrg(live, 'Acme Corporation', 'acme.test');
    const { context, page, errors } = await newPage();
    try {
      await page.goto(await ssoLink(live, orgId));
      await page.waitForURL(`${live.url}/portal/sso/provider`);
      expect(await heading(page)).toBe('Choose your identity provider');
      expect(await page.locator('[aria-current="step"]').textContent()).toContain('Choose provider');
      await shot(page, 'saml-1-provider');

      await samlUpToDetails(page, 'saml');
      await page.getByRole('link', { name: 'Continue: attributes' }).first().click();
      await page.waitForURL(/\/mapping$/);
      expect(await page.getByLabel('Email').inputValue()).toBe('email');
      await shot(page, 'saml-4-attributes');
      await page.getByRole('button', { name: 'Save and continue' }).click();
      await page.waitForURL(/\/test$/);
      await shot(page, 'saml-5-test');

      // First a refused test: the connection trusts another certificate than the one the IdP signs with.
      const id = connectionId(page);
      const trusted = await live.app.db.selectFrom('connection_certificates').selectAll().where('connection_id', '=', id).executeTakeFirstOrThrow();
      await live.app.db.updateTable('connection_certificates').set({ pem: IDP.certificate, fingerprint_sha256: new X509Certificate(IDP.certificate).fingerprint256 }).where('id', '=', trusted.id).execute();
      await page.getByRole('button', { name: 'Start test sign-in' }).click();
      await page.waitForURL(/\/sso\/simulator\/sso\?/);
      await page.getByLabel('Email').fill('ada@acme.test');
      await page.getByRole('button', { name: /sign in/i }).click();
      await page.waitForURL(/\/portal\/sso\/test-result\?reference=/);
      await page.getByText('The test sign-in was refused').waitFor();
      expect(await page.locator('.sso-result .sso-refusal').innerText()).toContain('certificate_unknown');
      await shot(page, 'saml-5a-test-refused');
      await live.app.db.updateTable('connection_certificates').set({ pem: trusted.pem, fingerprint_sha256: trusted.fingerprint_sha256 }).where('id', '=', trusted.id).execute();

      await page.getByRole('button', { name: 'Test again' }).click();
      await page.waitForURL(/\/sso\/simulator\/sso\?/);
      await page.getByLabel('Email').fill('ada@acme.test');
      await page.getByLabel('First name').fill('Ada');
      await page.getByLabel('Last name').fill('Lovelace');
      await page.getByLabel('Groups').fill('Engineering, London office');
      await page.getByRole('button', { name: /sign in/i }).click();
      await page.waitForURL(/\/portal\/sso\/test-result\?ticket=tkt_/);
      await page.getByText('Test sign-in succeeded').first().waitFor();
      const arrived = await page.locator('.sso-facts--result').innerText();
      expect(arrived).toContain('ada@acme.test');
      expect(arrived).toContain('Lovelace');
      expect(arrived).toContain('London office');
      await page.getByText(/Everything Okta sent/).click();
      await shot(page, 'saml-5b-test-result');

      await page.getByRole('link', { name: 'Continue: activate' }).click();
      await page.waitForURL(/\/activate$/);
      await shot(page, 'saml-6-activate');
      await page.getByRole('button', { name: 'Activate single sign-on' }).click();
      await page.waitForURL(/\/portal\/sso\?done=activated$/);
      await page.getByText('Single sign-on is active').first().waitFor();
      await shot(page, 'saml-7-active');
      expect(await page.locator('[data-gatehouse-connection-id]').getAttribute('data-gatehouse-connection-id')).toBe(id);
      expect((await live.api('GET', `/connections/${id}`)).body.state).toBe('active');
      expect(await page.getByRole('button', { name: 'Deactivate single sign-on' }).isVisible()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, BROWSER_TEST_MS);

  it('custom OIDC against an upstream OpenID provider: issuer, client id and secret, test sign-in, activate', async () => {
    const orgId = await ssoReadyOrg(live, 'Initech', 'initech.test');
    const { context, page, errors } = await newPage();
    let upstream: UpstreamOidc | undefined;
    try {
      await page.goto(await ssoLink(live, orgId));
      await page.waitForURL(`${live.url}/portal/sso/provider`);
      await providerRadio(page, /^OpenID Connect/).check();
      // A provider with one protocol needs no protocol choice.
      expect(await page.getByRole('group', { name: 'Protocol' }).isVisible()).toBe(false);
      await shot(page, 'oidc-1-provider');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(/\/instructions$/);
      const id = connectionId(page);
      const redirectUri = `${live.url}/sso/oidc/${id}/callback`;
      expect(await page.locator('.sso-copy__value', { hasText: redirectUri }).count()).toBeGreaterThan(0);
      await shot(page, 'oidc-2-instructions');
      upstream = await startUpstreamOidc({ redirectUris: [redirectUri] });

      await page.getByRole('link', { name: 'Continue: IdP details' }).click();
      await page.getByLabel('Issuer URL').fill(upstream.issuer);
      await page.getByLabel('Client id').fill(upstream.clientId);
      await page.getByLabel('Client secret').fill(upstream.clientSecret);
      await shot(page, 'oidc-3-idp-details');
      await page.getByRole('button', { name: 'Check and save' }).click();
      await page.waitForURL(/\/idp\?saved=1$/);
      expect(await page.content()).not.toContain(upstream.clientSecret);
      expect(await page.getByLabel('Client secret').inputValue()).toBe('');
      await shot(page, 'oidc-3b-idp-saved');

      await page.getByRole('link', { name: 'Continue: attributes' }).first().click();
      expect(await page.getByLabel('First name').inputValue()).toBe('given_name');
      await shot(page, 'oidc-4-attributes');
      await page.getByRole('button', { name: 'Save and continue' }).click();
      await page.waitForURL(/\/test$/);
      upstream.signInAs({ sub: 'initech-peter', claims: { email: 'peter@initech.test', email_verified: true, given_name: 'Peter', family_name: 'Gibbons' } });
      await page.getByRole('button', { name: 'Start test sign-in' }).click();
      await page.waitForURL(/\/portal\/sso\/test-result\?ticket=tkt_/);
      await page.getByText('Test sign-in succeeded').first().waitFor();
      expect(await page.locator('.sso-facts--result').innerText()).toContain('initech-peter');
      await shot(page, 'oidc-5-test-result');

      await page.getByRole('link', { name: 'Continue: activate' }).click();
      await page.getByRole('button', { name: 'Activate single sign-on' }).click();
      await page.waitForURL(/\/portal\/sso\?done=activated$/);
      await shot(page, 'oidc-6-active');
      expect((await live.api('GET', `/connections/${id}`)).body).toMatchObject({ state: 'active', type: 'oidc' });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await upstream?.close();
    }
  }, BROWSER_TEST_MS);

  it('saves progress: the tab is closed, a new link continues where it stopped, switching provider keeps the settings', async () => {
    const orgId = await ssoReadyOrg(live, 'Globex', 'globex.test');
    const first = await newPage();
    let id: string;
    try {
      await first.page.goto(await ssoLink(live, orgId));
      await first.page.waitForURL(`${live.url}/portal/sso/provider`);
      // Keyboard only: the provider radio is chosen with Space, the form sent with Enter.
      await providerRadio(first.page, /^Okta/).focus();
      await first.page.keyboard.press('Space');
      await first.page.keyboard.press('Enter');
      await first.page.waitForURL(/\/instructions$/);
      id = connectionId(first.page);
      await first.page.getByRole('link', { name: 'Change provider' }).click();
      await first.page.waitForURL(/\/provider\?connection=/);
      await samlUpToDetails(first.page, undefined);
    } finally {
      await first.context.close();
    }

    const second = await newPage();
    try {
      await second.page.goto(await ssoLink(live, orgId));
      await second.page.waitForURL(`${live.url}/portal/sso`);
      await second.page.getByText('Next: step 4, attributes').waitFor();
      await shot(second.page, 'resume-1-overview');
      await second.page.getByRole('link', { name: 'Change provider' }).click();
      await providerRadio(second.page, /^Microsoft Entra ID/).check();
      await shot(second.page, 'resume-2-switch-provider');
      await second.page.getByRole('button', { name: 'Continue' }).click();
      await second.page.waitForURL(/\/instructions$/);
      expect(connectionId(second.page)).toBe(id);
      expect(await heading(second.page)).toBe('Set up Gatehouse in Microsoft Entra ID');
      await shot(second.page, 'resume-3-entra-instructions');
      await second.page.getByRole('link', { name: 'Continue: IdP details' }).click();
      // The IdP settings collected under Okta are still there.
      await second.page.getByText(`${live.url}/sso/simulator/sso`).first().waitFor();
      await second.page.getByRole('link', { name: 'Continue: attributes' }).first().click();
      expect(await second.page.getByLabel('Email').inputValue()).toBe('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress');
      expect((await live.api('GET', `/connections/${id}`)).body).toMatchObject({ provider: 'entra', state: 'draft', saml: { idp_entity_id: `${live.url}/sso/simulator` } });
      expect(second.errors).toEqual([]);
    } finally {
      await second.context.close();
    }
  }, BROWSER_TEST_MS);
});
