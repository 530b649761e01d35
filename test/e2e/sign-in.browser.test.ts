import http from 'node:http';
import path from 'node:path';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, PHONE, runBrowserSuite, screenshotDir } from '../helpers/chromium.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

const PASSWORD = 'correct horse battery staple';

/**
 * The sign-in pages in real headless Chromium, with the app on another origin (localhost vs
 * 127.0.0.1), as a person sees them: CSP, cookies and redirects enforced by a real browser.
 */
describe.runIf(runBrowserSuite)('sign-in in a real browser', () => {
  let live: LiveApp;
  let browser: Browser;
  let app: http.Server;
  let appUrl: string;
  const callbacks: URL[] = [];
  const SHOTS = screenshotDir('sign-in');

  beforeAll(async () => {
    live = await startLiveApp();
    // The "app": another origin that receives the authorization response.
    app = http.createServer((req, res) => {
      // Only the authorization response counts (Chromium also asks this origin for /favicon.ico).
      const url = new URL(req.url!, appUrl);
      if (url.pathname === '/callback') callbacks.push(url);
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>App</title><h1>Back in the app</h1>');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appUrl = `http://localhost:${(app.address() as { port: number }).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => app?.close(resolve));
    await live?.close();
  });

  it('invitation, then sign-in with email and password, ends at the app with a code that yields the claims', async () => {
    const orgId = (await live.api('POST', '/organizations', { name: 'Acme' })).body.id;
    const invitation = (await live.api('POST', `/organizations/${orgId}/invitations`, { email: 'ada@acme.test', role: 'admin' })).body;
    const client = (await live.api('POST', '/clients', { name: 'Workplace', redirect_uris: [`${appUrl}/callback`] })).body;

    const page = await (await browser.newContext({ viewport: PHONE })).newPage();
    await page.goto(invitation.accept_url);
    await page.screenshot({ path: path.join(SHOTS, '1-invitation.png'), fullPage: true });
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('You joined Acme');
    await page.screenshot({ path: path.join(SHOTS, '2-joined.png'), fullPage: true });

    const config = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const authUrl = oidc.buildAuthorizationUrl(config, { redirect_uri: `${appUrl}/callback`, scope: 'openid email profile organization', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });

    await page.goto(authUrl.href);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sign in');
    await page.screenshot({ path: path.join(SHOTS, '3-email.png'), fullPage: true });
    await page.getByLabel('Work email').fill('ada@acme.test');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password').waitFor();
    await page.screenshot({ path: path.join(SHOTS, '4-password.png'), fullPage: true });
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await expect.poll(() => callbacks.length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Back in the app');
    const tokens = await oidc.authorizationCodeGrant(config, callbacks[0]!, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ email: 'ada@acme.test', org_id: orgId, org_role: 'admin', sites: [] });
  });

  it('a wrong password shows the generic error on the field, tied to it for screen readers', async () => {
    const client = (await live.api('POST', '/clients', { name: 'Other', redirect_uris: [`${appUrl}/callback`] })).body;
    const config = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: `${appUrl}/callback`, scope: 'openid', state: 's-12345678', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256', login_hint: 'ada@acme.test' });
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(url.href);
    await page.getByLabel('Password').fill('not the right password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const field = page.getByLabel('Password');
    await expect.poll(() => field.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await field.getAttribute('aria-describedby'))!.split(' ');
    const descriptions = await Promise.all(describedBy.map((id) => page.locator(`#${id}`).textContent()));
    expect(descriptions.join(' ')).toContain('The email or password is incorrect.');
    await page.screenshot({ path: path.join(SHOTS, '5-wrong-password.png'), fullPage: true });
  });
});
