import http from 'node:http';
import path from 'node:path';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Cookie, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, runBrowserSuite, screenshotDir } from '../helpers/chromium.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { IDP, readRedirectRequest, type ResponseOverrides, samlResponse, type SpValues } from '../helpers/saml.ts';

/** OIDC Core §4 wants https for initiate_login_uri: Chromium never reaches this host, page.route answers for the app. */
const INITIATE = 'https://workplace.test/start-login';
// Generous: a loaded CI machine makes Chromium slow, and the known-bug test waits out a 5 s poll.
const BROWSER_TEST_MS = 60_000;

type Person = { email: string; firstName?: string; lastName?: string };

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The IdP's own page: a form that posts itself to the ACS, as real IdPs' HTTP-POST binding pages do. */
function autoPostPage(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('');
  return `<!doctype html><title>Test IdP</title><form method="post" action="${escapeHtml(action)}">${inputs}<noscript><button>Continue</button></noscript></form><script>document.forms[0].submit()</script>`;
}

/** Listens on 127.0.0.1 and is named by `localhost`: for Chromium another site than Gatehouse's 127.0.0.1. */
async function listenOnLocalhost(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://localhost:${(server.address() as { port: number }).port}`;
}

/** The ACS POSTs the page made and their answers (the 303 redirects included), in order. */
function recordAcs(page: Page, acsUrl: string): Response[] {
  const seen: Response[] = [];
  page.on('response', (response) => {
    if (response.url() === acsUrl && response.request().method() === 'POST') seen.push(response);
  });
  return seen;
}

/**
 * SAML sign-in in real headless Chromium, as DESIGN.md "Sign-in (SP-initiated)" asks: Gatehouse on
 * 127.0.0.1, the IdP and the app on localhost (another site). The IdP answers with a genuinely
 * cross-site form POST to the ACS, for which Chromium withholds Gatehouse's SameSite=Lax cookies.
 */
describe.runIf(runBrowserSuite)('SAML sign-in in a real browser, the IdP on another site', () => {
  let live: LiveApp;
  let browser: Browser;
  let idp: http.Server;
  let idpUrl: string;
  let app: http.Server;
  let appUrl: string;
  let orgId: string;
  let connectionId: string;
  let sp: SpValues;
  let client: { client_id: string; client_secret: string };
  let config: oidc.Configuration;
  /** Who is signed in at the IdP, and what is wrong with the responses it sends (set by each test). */
  let idpSession: { person: Person; overrides?: ResponseOverrides } | undefined;
  const authnRequests: ReturnType<typeof readRedirectRequest>[] = [];
  /** The app's sign-in link (set by each test) and the authorization responses it received. */
  let appSignInUrl = '';
  const callbacks: URL[] = [];

  /**
   * The fake IdP. GET …/sso: the HTTP-Redirect AuthnRequest (inflated, its ID and RelayState read by
   * readRedirectRequest), answered for the person signed in at the IdP. GET …/launch: the IdP's
   * dashboard tile, an unsolicited (IdP-initiated) response without InResponseTo.
   */
  async function answerAsIdp(route: string, url: URL, res: http.ServerResponse): Promise<void> {
    if (!idpSession || (route !== '/sso' && route !== '/launch')) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const fields: Record<string, string> = {};
    if (route === '/sso') {
      const request = readRedirectRequest(url.href);
      authnRequests.push(request);
      fields.SAMLResponse = await samlResponse(sp, idpSession.person, { inResponseTo: request.id, ...idpSession.overrides });
      fields.RelayState = request.relayState;
    } else {
      fields.SAMLResponse = await samlResponse(sp, idpSession.person, idpSession.overrides);
    }
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(autoPostPage(sp.acsUrl, fields));
  }
  const failWith500 = (res: http.ServerResponse) => (error: unknown) => {
    res.statusCode = 500;
    res.end(String(error));
  };

  /** Points the connection's IdP sign-in URL at `ssoUrl` (its own origin, or the app's: see the SP-initiated tests). */
  async function useIdpSsoUrl(ssoUrl: string) {
    const patched = await live.api('PATCH', `/connections/${connectionId}`, { saml: { idp_entity_id: IDP.entityId, sso_url: ssoUrl, certificates: [IDP.certificate] } });
    expect(patched.body).toMatchObject({ state: 'active', saml: { sso_url: ssoUrl, sso_binding: 'redirect' } });
  }

  const SHOTS = screenshotDir('saml-sign-in');

  beforeAll(async () => {
    live = await startLiveApp();

    idp = http.createServer((req, res) => {
      const url = new URL(req.url!, idpUrl);
      answerAsIdp(url.pathname, url, res).catch(failWith500(res));
    });
    idpUrl = await listenOnLocalhost(idp);

    // The app: a page with a sign-in link, the callback that receives the authorization response, and
    // (under /idp/) the same IdP again, for the test that shares the app's origin with it.
    app = http.createServer((req, res) => {
      const url = new URL(req.url!, appUrl);
      if (url.pathname.startsWith('/idp/')) return void answerAsIdp(url.pathname.slice('/idp'.length), url, res).catch(failWith500(res));
      res.setHeader('content-type', 'text/html; charset=utf-8');
      // Only the authorization response counts (Chromium also asks this origin for /favicon.ico).
      if (url.pathname === '/callback') {
        callbacks.push(url);
        return res.end('<!doctype html><title>App</title><h1>Back in the app</h1>');
      }
      if (url.pathname === '/') return res.end(`<!doctype html><title>App</title><h1>Workplace</h1><a href="${escapeHtml(appSignInUrl)}">Sign in with SSO</a>`);
      res.statusCode = 404;
      res.end();
    });
    appUrl = await listenOnLocalhost(app);

    orgId = (await live.api('POST', '/organizations', { name: 'Acme', sso_entitled: true })).body.id;
    const domain = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme.test' })).body;
    expect((await live.api('POST', `/domains/${domain.id}/verify`, { method: 'manual' })).status).toBe(200);
    const created = await live.api('POST', `/organizations/${orgId}/connections`, {
      type: 'saml', provider: 'okta', idp_initiated: true,
      saml: { idp_entity_id: IDP.entityId, sso_url: `${idpUrl}/sso`, certificates: [IDP.certificate] },
    });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
    sp = { entityId: created.body.saml.sp_entity_id, acsUrl: created.body.saml.acs_url };
    expect(new URL(sp.acsUrl).origin).toBe(live.url);
    expect((await live.api('POST', `/connections/${connectionId}/activate`)).body.state).toBe('active');
    client = (await live.api('POST', '/clients', { name: 'Workplace', redirect_uris: [`${appUrl}/callback`], initiate_login_uri: INITIATE })).body;
    config = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });

    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => idp?.close(resolve));
    await new Promise((resolve) => app?.close(resolve));
    await live?.close();
  });

  /** A fresh authorization request from the app: code flow, PKCE S256, state. */
  async function authorizationRequest() {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${appUrl}/callback`, scope: 'openid email profile organization', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    return { url, verifier, state };
  }

  async function newPage(width: number, height: number): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width, height } });
    return { context, page: await context.newPage() };
  }

  const waitForCallback = (page: Page) => page.waitForURL((url) => url.href.startsWith(`${appUrl}/callback?`), { timeout: 10_000 });

  /** The app's link, the email typed at Gatehouse, the IdP, the cross-site POST to the ACS, the app's callback. */
  async function signInFromTheApp(shots: string | undefined, consoleMessages: string[] = []) {
    idpSession = { person: { email: 'grace@acme.test', firstName: 'Grace', lastName: 'Hopper' } };
    authnRequests.length = 0;
    const request = await authorizationRequest();
    appSignInUrl = request.url.href;
    const { context, page } = await newPage(1280, 800);
    const acs = recordAcs(page, sp.acsUrl);
    page.on('console', (message) => consoleMessages.push(message.text()));
    try {
      await page.goto(`${appUrl}/`);
      if (shots) await page.screenshot({ path: path.join(SHOTS, `${shots}-1-app.png`), fullPage: true });
      await page.getByRole('link', { name: 'Sign in with SSO' }).click();
      await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
      expect(new URL(page.url()).origin).toBe(live.url);
      if (shots) await page.screenshot({ path: path.join(SHOTS, `${shots}-2-email.png`), fullPage: true });
      await page.getByLabel('Work email').fill('grace@acme.test');
      await page.getByRole('button', { name: 'Continue' }).click();
      await expect.poll(() => authnRequests.length, { timeout: 5_000 }).toBe(1);

      await waitForCallback(page);
      expect(await page.locator('h1').textContent()).toBe('Back in the app');
      if (shots) await page.screenshot({ path: path.join(SHOTS, `${shots}-3-back-in-app.png`), fullPage: true });

      // The IdP was asked once, for this SP. The ACS POST came from the IdP's site with none of Gatehouse's
      // Lax cookies, and Gatehouse still tied it to the sign-in (InResponseTo + RelayState), then found the
      // interaction cookie again on the top-level GET it redirected to (the code proves it).
      expect(authnRequests).toHaveLength(1);
      expect(authnRequests[0]!.xml).toContain(`AssertionConsumerServiceURL="${sp.acsUrl}"`);
      expect(acs).toHaveLength(1);
      const sent = await acs[0]!.request().allHeaders();
      expect(sent.host).toBe(new URL(live.url).host); // the headers as sent on the wire, not Playwright's provisional ones
      expect(new URL(sent.origin!).hostname).toBe('localhost');
      expect(sent['sec-fetch-site']).toBe('cross-site');
      // Chromium held SameSite=Lax cookies for the ACS URL (gh_csrf, Path=/, set by the email page) and sent none.
      expect((await context.cookies(sp.acsUrl)).map((c) => c.sameSite)).toContain('Lax');
      expect(sent.cookie).toBeUndefined();
      expect(acs[0]!.status()).toBe(303);
      expect(await acs[0]!.headerValue('location')).toMatch(/^\/login\/[^/]+\/sso$/);

      const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: request.verifier, expectedState: request.state });
      expect(tokens.claims()).toMatchObject({ email: 'grace@acme.test', email_verified: true, name: 'Grace Hopper', org_id: orgId, org_role: 'member', sites: [] });
    } finally {
      await context.close();
    }
  }

  // The email page's CSP is `form-action 'self' <redirect_uri's origin>`, and Chromium applies form-action
  // to the redirects that follow a submission: Gatehouse answers the email form with a page that moves on
  // to the IdP (meta refresh), not a redirect, so an IdP on its own origin is reached.
  it('SP-initiated, the IdP on its own site: email typed, IdP, cross-site POST to the ACS, code at the app', async () => {
    await useIdpSsoUrl(`${idpUrl}/sso`);
    await signInFromTheApp('sp-initiated');
  }, BROWSER_TEST_MS);

  it('SP-initiated with login_hint, the IdP on its own origin: no form is submitted, so nothing blocks the redirect', async () => {
    await useIdpSsoUrl(`${idpUrl}/sso`);
    idpSession = { person: { email: 'grace@acme.test' } };
    authnRequests.length = 0;
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${appUrl}/callback`, scope: 'openid email organization', state, login_hint: 'grace@acme.test',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const { context, page } = await newPage(1280, 800);
    await page.goto(url.href);
    await waitForCallback(page);
    expect(authnRequests).toHaveLength(1);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ email: 'grace@acme.test', org_role: 'member', sites: [] });
    await context.close();
  }, BROWSER_TEST_MS);

  it('IdP-initiated: the cross-site POST leaves a ticket cookie, the app\'s initiate_login_uri starts a flow that completes at once', async () => {
    idpSession = { person: { email: 'katherine@acme.test', firstName: 'Katherine', lastName: 'Johnson' } };
    const request = await authorizationRequest();
    const { context, page } = await newPage(1280, 800);
    const acs = recordAcs(page, sp.acsUrl);
    const shown: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) shown.push(frame.url());
    });

    // The app's third-party initiated login endpoint (OIDC Core §4): checks iss, then redirects to
    // Gatehouse with a normal authorization request. The browser's cookies are read as it arrives.
    const arrivals: { url: URL; ticketCookie: Cookie | undefined }[] = [];
    await page.route('https://workplace.test/**', async (route) => {
      const url = new URL(route.request().url());
      arrivals.push({ url, ticketCookie: (await context.cookies(`${live.url}/login`)).find((c) => c.name === 'gh_sso_ticket') });
      if (url.pathname !== '/start-login' || url.searchParams.get('iss') !== live.url) return route.fulfill({ status: 400, body: 'unexpected issuer' });
      await route.fulfill({ status: 302, headers: { location: request.url.href } });
    });

    await page.goto(`${idpUrl}/launch`);
    await waitForCallback(page);
    expect(await page.locator('h1').textContent()).toBe('Back in the app');

    // The ACS answered the cross-site POST with the ticket cookie and a 303 to the initiate_login_uri.
    expect(acs).toHaveLength(1);
    expect(await acs[0]!.request().headerValue('origin')).toBe(idpUrl);
    expect(acs[0]!.status()).toBe(303);
    const location = new URL((await acs[0]!.headerValue('location'))!);
    expect(`${location.origin}${location.pathname}`).toBe(INITIATE);
    const setCookie = (await acs[0]!.headerValues('set-cookie')).find((c) => c.startsWith('gh_sso_ticket='));
    expect(setCookie).toMatch(/; path=\/login/i);
    expect(setCookie).toMatch(/; samesite=lax/i);
    expect(setCookie).toMatch(/; httponly/i);
    // Chromium kept it (the response to a cross-site top-level POST may set a Lax cookie)…
    expect(arrivals).toHaveLength(1);
    expect(arrivals[0]!.ticketCookie).toMatchObject({ path: '/login', sameSite: 'Lax', httpOnly: true });
    expect(arrivals[0]!.ticketCookie!.value).toBe(/^gh_sso_ticket=([^;]*)/.exec(setCookie!)![1]);
    // …and Gatehouse cleared it once used.
    expect((await context.cookies(`${live.url}/login`)).map((c) => c.name)).not.toContain('gh_sso_ticket');

    // No Gatehouse page was shown on the way: the IdP's page, then (redirects only) the app's callback.
    // (chrome-error:// is Playwright's trace of the intercepted https://workplace.test navigation.)
    const pages = shown.filter((u) => !u.startsWith('chrome-error:')).map((u) => `${new URL(u).origin}${new URL(u).pathname}`);
    expect(pages).toEqual([`${idpUrl}/launch`, `${appUrl}/callback`]);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: request.verifier, expectedState: request.state });
    expect(tokens.claims()).toMatchObject({ email: 'katherine@acme.test', name: 'Katherine Johnson', org_id: orgId, org_role: 'member', sites: [] });
    await context.close();
  }, BROWSER_TEST_MS);

  it('a response for another audience, posted cross-site, shows the refusal page with a reference and no identity', async () => {
    const nameId = 'mallory.nameid@acme.test';
    idpSession = { person: { email: 'mallory@acme.test' }, overrides: { audience: 'https://someone-else.test', nameId } };
    for (const [width, height] of [[1280, 800], [390, 844]] as const) {
      const { context, page } = await newPage(width, height);
      const acs = recordAcs(page, sp.acsUrl);
      await page.goto(`${idpUrl}/launch`);
      await page.getByRole('heading', { name: 'Sign-in is misconfigured' }).waitFor();
      expect(acs[0]!.status()).toBe(403);
      expect(page.url()).toBe(sp.acsUrl);
      expect(await page.title()).toBe('Sign-in is misconfigured · Gatehouse');
      const visible = await page.locator('body').innerText();
      const reference = /Reference:\s*(\S+)/.exec(visible)?.[1];
      expect(visible).toContain("Acme's activity log");
      // The details are for the admin, under the same reference.
      const events = (await live.api('GET', `/events?organization_id=${orgId}&types=sso.signin_failed`)).body.data;
      expect(events.find((e: { data: { reference: string } }) => e.data.reference === reference)?.data).toMatchObject({ connection_id: connectionId, reason: 'audience_mismatch' });
      const html = await page.content();
      for (const secret of ['mallory@acme.test', nameId, 'someone-else.test']) expect(html).not.toContain(secret);
      await page.screenshot({ path: path.join(SHOTS, `refused-${width}.png`), fullPage: true });
      await context.close();
    }
  }, BROWSER_TEST_MS);
});
