import http from 'node:http';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newChromiumPage, runBrowserSuite, screenshotDir, shot } from '../helpers/chromium.ts';
import { consolePerson, signInChromium } from '../helpers/console.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { IDP, readRedirectRequest, samlResponse, type SpValues } from '../helpers/saml.ts';

const BROWSER_TEST_MS = 90_000;
const GRACE = { email: 'grace@acme.test', firstName: 'Grace', lastName: 'Hopper' };

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Listens on 127.0.0.1 and is named by `localhost`: for Chromium another site than Gatehouse's 127.0.0.1. */
async function listenOnLocalhost(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://localhost:${(server.address() as { port: number }).port}`;
}

/**
 * The Users section's Must-show (issue 9), in real Chromium with a real upstream IdP: a person signs in
 * for the first time through SAML SSO (just in time) and appears under Users, arrived by SSO, with no
 * sites; the admin assigns a site in the console and the person's next sign-in carries it in the ID
 * token's `sites` claim; the admin disables them (through the confirmation page) and their next
 * sign-in is refused, with the refusal in the activity log.
 */
describe.runIf(runBrowserSuite)('console users in a real browser: JIT sign-in, site assignment, disable', () => {
  let live: LiveApp;
  let browser: Browser;
  let idp: http.Server;
  let idpUrl: string;
  let app: http.Server;
  let appUrl: string;
  let orgId: string;
  let sp: SpValues;
  let config: oidc.Configuration;
  let adminEmail: string;
  const shots = screenshotDir('console-users');

  beforeAll(async () => {
    live = await startLiveApp();
    // The IdP: answers the HTTP-Redirect AuthnRequest with a signed response for Grace, posted to the ACS by a self-submitting form.
    idp = http.createServer((req, res) => {
      const url = new URL(req.url!, idpUrl);
      if (url.pathname !== '/sso') return void res.writeHead(404).end();
      const request = readRedirectRequest(url.href);
      samlResponse(sp, GRACE, { inResponseTo: request.id }).then((SAMLResponse) => {
        const fields = { SAMLResponse, RelayState: request.relayState };
        const inputs = Object.entries(fields).map(([n, v]) => `<input type="hidden" name="${n}" value="${escapeHtml(v)}">`).join('');
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(`<!doctype html><title>Test IdP</title><form method="post" action="${escapeHtml(sp.acsUrl)}">${inputs}<noscript><button>Continue</button></noscript></form><script>document.forms[0].submit()</script>`);
      }, (error: unknown) => res.writeHead(500).end(String(error)));
    });
    idpUrl = await listenOnLocalhost(idp);
    // The app: only its redirect URI matters (the code is exchanged by openid-client in the test).
    app = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end('<!doctype html><title>Workplace</title><h1>Back in the app</h1>');
    });
    appUrl = await listenOnLocalhost(app);

    // The admin signs in with a password: their address is not on the org's SSO domain.
    adminEmail = 'ada.lovelace@acme-admins.test';
    orgId = (await consolePerson(live, { email: adminEmail, orgName: 'Acme' })).orgId;
    const domain = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme.test' })).body;
    expect((await live.api('POST', `/domains/${domain.id}/verify`, { method: 'manual' })).status).toBe(200);
    const connection = await live.api('POST', `/organizations/${orgId}/connections`, {
      type: 'saml', provider: 'okta', saml: { idp_entity_id: IDP.entityId, sso_url: `${idpUrl}/sso`, certificates: [IDP.certificate] },
    });
    expect(connection.status).toBe(201);
    sp = { entityId: connection.body.saml.sp_entity_id, acsUrl: connection.body.saml.acs_url };
    expect((await live.api('POST', `/connections/${connection.body.id}/activate`)).body.state).toBe('active');
    const client = (await live.api('POST', '/clients', { name: 'Workplace', redirect_uris: [`${appUrl}/callback`] })).body;
    config = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => idp?.close(resolve));
    await new Promise((resolve) => app?.close(resolve));
    await live?.close();
  });

  /**
   * Grace opens the app's sign-in in a fresh browser (no Gatehouse session), types her email, goes
   * through the IdP and comes back: the page where that ended, and the authorization request to finish it.
   */
  async function graceSignsIn(): Promise<{ context: BrowserContext; page: Page; verifier: string; state: string }> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${appUrl}/callback`, scope: 'openid email profile organization', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const { context, page } = await newChromiumPage(browser);
    await page.goto(url.href);
    await page.getByLabel('Work email').fill(GRACE.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    return { context, page, verifier, state };
  }

  /** Grace's sign-in that reaches the app: the ID token's claims. */
  async function graceSignsInToTheApp(): Promise<oidc.IDToken> {
    const { context, page, verifier, state } = await graceSignsIn();
    try {
      await page.waitForURL((u) => u.href.startsWith(`${appUrl}/callback?`), { timeout: 15_000 });
      const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
      return tokens.claims()!;
    } finally {
      await context.close();
    }
  }

  let admin: { context: BrowserContext; page: Page; errors: string[] };
  let graceId: string;

  it('(1) a first SSO sign-in creates Grace just in time; she appears under Users, arrived by SSO, with no sites', async () => {
    const claims = await graceSignsInToTheApp();
    expect(claims).toMatchObject({ email: GRACE.email, name: 'Grace Hopper', org_id: orgId, org_role: 'member', sites: [] });
    graceId = claims.sub;

    admin = await newChromiumPage(browser);
    const { page } = admin;
    await signInChromium(page, live, adminEmail);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Grace Hopper' });
    await expect.poll(() => row.count()).toBe(1);
    const cells = await row.getByRole('cell').allInnerTexts();
    expect(cells.map((c) => c.trim())).toEqual(['Grace Hopper', GRACE.email, 'Member', 'No sites', 'Active', 'SSO']);
    await shot(page, shots, '1-users-list');
  }, BROWSER_TEST_MS);

  it('(2) the admin puts Grace on a site; her next sign-in carries it in the sites claim', async () => {
    const site = (await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Berlin HQ' })).body;
    await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Lisbon' });
    const { page } = admin;
    await page.reload();
    await page.getByRole('link', { name: 'Grace Hopper' }).click();
    await page.getByRole('heading', { name: 'Grace Hopper', level: 1 }).waitFor();
    expect(page.url()).toBe(`${live.url}/console/users/${graceId}`);
    await page.getByLabel('Site', { exact: true }).selectOption({ label: 'Berlin HQ' });
    await page.getByLabel('Site role', { exact: true }).selectOption('admin');
    await page.getByRole('button', { name: 'Add to site' }).click();
    await page.getByText('Grace Hopper is now on Berlin HQ as admin.').waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Berlin HQ' });
    expect(await row.getByRole('combobox', { name: 'Site role at Berlin HQ' }).inputValue()).toBe('admin');
    await shot(page, shots, '2-user-page');

    const claims = await graceSignsInToTheApp();
    expect(claims.sites).toEqual([{ id: site.id, name: 'Berlin HQ', role: 'admin' }]);
  }, BROWSER_TEST_MS);

  it('(3) the admin disables Grace through the confirmation page; her next sign-in is refused and logged', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Disable access' }).click();
    await page.getByRole('heading', { name: 'Disable access for Grace Hopper?' }).waitFor();
    expect(await page.locator('main').innerText()).toContain('Grace Hopper will no longer be able to sign in');
    await shot(page, shots, '3-disable-confirmation');
    await page.getByRole('button', { name: 'Disable access' }).click();
    await page.getByText('Grace Hopper is disabled and can no longer sign in.').waitFor();
    expect(await page.locator('.user-head .member-state').innerText()).toBe('Disabled by an admin');
    await shot(page, shots, '4-user-disabled');
    expect(admin.errors).toEqual([]);

    const { context, page: grace } = await graceSignsIn();
    try {
      await grace.getByRole('heading', { name: 'Access disabled' }).waitFor({ timeout: 15_000 });
      expect(grace.url().startsWith(appUrl)).toBe(false);
      const shown = await grace.locator('body').innerText();
      expect(shown).toContain('Your access to Acme has been disabled.');
      const reference = /Reference:\s*(\S+)/.exec(shown)?.[1];
      const refusals = (await live.api('GET', `/events?organization_id=${orgId}&types=sso.signin_failed`)).body.data;
      expect(refusals.at(-1)).toMatchObject({ data: { reason: 'membership_disabled', email: GRACE.email, user_id: graceId, reference } });
    } finally {
      await context.close();
    }
  }, BROWSER_TEST_MS);

  it('invitations, refusals and the other confirmation pages look finished', async () => {
    const { page, errors } = admin;
    await page.goto(`${live.url}/console/users`);
    await page.getByRole('link', { name: 'Invite someone' }).click();
    await page.getByLabel('Email address').fill('not-an-email');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText('Enter an email address like name@company.com.').waitFor();
    expect(await page.getByLabel('Email address').getAttribute('aria-invalid')).toBe('true');
    await shot(page, shots, '5-invite-error');

    await page.getByLabel('Email address').fill('katherine@acme.test');
    await page.getByText('Admin', { exact: true }).last().click();
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByRole('heading', { name: 'katherine@acme.test is invited' }).waitFor();
    // With JavaScript, the copy button shows; the link is the one that opens the invitation.
    await page.getByRole('button', { name: 'Copy invitation link' }).waitFor();
    expect(await page.locator('#accept-url').innerText()).toMatch(new RegExp(`^${live.url}/invitations/`));
    await shot(page, shots, '6-invited');

    await page.getByRole('link', { name: 'Back to users' }).click();
    await page.getByRole('link', { name: 'Revoke the invitation to katherine@acme.test' }).click();
    await page.getByRole('heading', { name: 'Revoke the invitation to katherine@acme.test?' }).waitFor();
    await shot(page, shots, '7-revoke-confirmation');
    await page.getByRole('button', { name: 'Revoke invitation' }).click();
    await page.getByText('Invitation to katherine@acme.test revoked.').waitFor();

    await page.goto(`${live.url}/console/users/${graceId}`);
    await page.getByRole('link', { name: 'Remove from Berlin HQ' }).click();
    await page.getByRole('heading', { name: 'Remove Grace Hopper from Berlin HQ?' }).waitFor();
    await shot(page, shots, '8-remove-site-confirmation');
    await page.getByRole('link', { name: 'Cancel' }).click();

    // Their own page: the admin cannot disable themselves, and says so before anyone tries.
    await page.getByRole('link', { name: '← All users' }).click();
    await page.getByRole('link', { name: 'Ada Lovelace' }).click();
    await page.getByText('You cannot disable your own access').waitFor();
    expect(await page.getByRole('radio', { name: /Member/ }).isDisabled()).toBe(true);
    await shot(page, shots, '9-own-page');
    // A typed URL to disable themselves is refused in words, at the top and in the Access section.
    const ownUrl = page.url();
    expect((await page.goto(`${ownUrl}/disable`))!.status()).toBe(409);
    await page.getByRole('alert').filter({ hasText: 'Nothing was changed' }).waitFor();
    expect(await page.locator('#access').innerText()).toContain('You cannot disable your own access. Another administrator has to do it');
    await shot(page, shots, '10-self-disable-refused');
    // Chromium logs every 4xx answer as a console error: the refused invite (422) and self-disable (409) are meant to be.
    const unexpected = errors.filter((e) => !/the server responded with a status of (422|409)/.test(e));
    expect(unexpected, unexpected.join('\n')).toEqual([]);
    await admin.context.close();
  }, BROWSER_TEST_MS);
});
