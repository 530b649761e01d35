import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, type Page, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

const CALLBACK = 'http://127.0.0.1:9/callback';
const PASSWORD = 'correct horse battery staple';

/** Each refusal in the sign-in path: the right answer, an event with the reason, and no session or grant. */
describe('sign-in refusals', () => {
  let live: LiveApp;
  let client: { client_id: string; client_secret: string };
  let config: oidc.Configuration;

  beforeAll(async () => {
    live = await startLiveApp();
    client = (await live.api('POST', '/clients', { name: 'Workplace', redirect_uris: [CALLBACK] })).body;
    config = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => live.close());

  async function member(orgName: string, email: string, orgSettings: Record<string, unknown> = {}) {
    const orgId = (await live.api('POST', '/organizations', { name: orgName, ...orgSettings })).body.id as string;
    const invitation = (await live.api('POST', `/organizations/${orgId}/invitations`, { email, role: 'member' })).body;
    const browser = new HttpBrowser();
    const form = await browser.get(invitation.accept_url);
    const done = await browser.submit(form, '/invitations/', { first_name: 'Sam', last_name: 'Smith', password: PASSWORD, password_confirm: PASSWORD });
    expect(done.status).toBe(200);
    const membership = (await live.api('GET', `/organizations/${orgId}/memberships`)).body.data[0];
    return { orgId, membershipId: membership.id as string, userId: membership.user_id as string, acceptUrl: invitation.accept_url as string };
  }

  async function authUrl(extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid email organization', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra });
    return { url: url.href, verifier, state };
  }

  async function passwordStep(browser: HttpBrowser, email: string, password: string): Promise<Page> {
    const emailPage = await browser.follow((await authUrl()).url, CALLBACK);
    const passwordPage = await browser.submit(emailPage, '/email', { email });
    const after = await browser.submit(passwordPage, '/password', { email, password });
    return after.location ? browser.follow(after.location, CALLBACK) : after;
  }

  const count = async (sql: string) => Number(((await live.app.db.executeQuery({ sql, parameters: [], query: { kind: 'RawNode' } } as never)) as { rows: Array<{ n: number }> }).rows[0]!.n);
  const sessions = () => count("select count(*) as n from oidc_payloads where model = 'Session'");
  const grants = () => count('select count(*) as n from grant_organizations');
  const lastRefusal = async () => (await live.api('GET', '/events?types=user.signin_failed&limit=100')).body.data.at(-1);

  it('wrong password and unknown email get the same generic error, an event each, and no session', async () => {
    await member('Acme', 'pat@acme.test');
    const [s0, g0] = [await sessions(), await grants()];
    const wrong = await passwordStep(new HttpBrowser(), 'pat@acme.test', 'not the password at all');
    expect(wrong.status).toBe(401);
    expect(text(wrong.html)).toContain('The email or password is incorrect.');
    expect(await lastRefusal()).toMatchObject({ data: { reason: 'wrong_password', email: 'pat@acme.test', client_id: client.client_id } });

    const unknown = await passwordStep(new HttpBrowser(), 'nobody@acme.test', 'whatever whatever');
    expect(unknown.status).toBe(401);
    expect(text(unknown.html)).toContain('The email or password is incorrect.');
    expect(await lastRefusal()).toMatchObject({ data: { reason: 'unknown_email', email: 'nobody@acme.test' } });
    expect([await sessions(), await grants()]).toEqual([s0, g0]);
  });

  it('rate-limits password guessing per account, even for the right password', async () => {
    await member('Guessed', 'target@guessed.test');
    const browser = new HttpBrowser();
    for (let i = 0; i < 10; i++) expect((await passwordStep(browser, 'target@guessed.test', `guess number ${i} guess`)).status).toBe(401);
    const blocked = await passwordStep(browser, 'target@guessed.test', PASSWORD);
    expect(blocked.status).toBe(429);
    expect(text(blocked.html)).toContain('too many sign-in attempts');
    expect(await lastRefusal()).toMatchObject({ data: { reason: 'rate_limited', email: 'target@guessed.test' } });
  });

  it('enforce_sso refuses password sign-in for that org with a clear message', async () => {
    const { orgId } = await member('Strict', 'lee@strict.test');
    expect((await live.api('PATCH', `/organizations/${orgId}`, { enforce_sso: true })).status).toBe(200);
    const g0 = await grants();
    const page = await passwordStep(new HttpBrowser(), 'lee@strict.test', PASSWORD);
    expect(page.status).toBe(403);
    expect(text(page.html)).toContain('Strict requires you to sign in through your company\'s identity provider');
    expect(await lastRefusal()).toMatchObject({ organization_id: orgId, data: { reason: 'sso_required' } });
    expect(await grants()).toBe(g0);
  });

  it('a disabled membership is refused with a clear message, and its refresh token stops working', async () => {
    const { orgId, membershipId } = await member('Paused', 'kim@paused.test');
    const browser = new HttpBrowser();
    const { url, verifier, state } = await authUrl({ scope: 'openid organization offline_access', prompt: 'consent' });
    const emailPage = await browser.follow(url, CALLBACK);
    const passwordPage = await browser.submit(emailPage, '/email', { email: 'kim@paused.test' });
    const after = await browser.submit(passwordPage, '/password', { email: 'kim@paused.test', password: PASSWORD });
    const done = await browser.follow(after.location!, CALLBACK);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier, expectedState: state });

    expect((await live.api('POST', `/memberships/${membershipId}/disable`)).status).toBe(200);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    const page = await passwordStep(new HttpBrowser(), 'kim@paused.test', PASSWORD);
    expect(page.status).toBe(403);
    expect(text(page.html)).toContain('Your access to Paused has been disabled');
    expect(await lastRefusal()).toMatchObject({ organization_id: orgId, data: { reason: 'membership_disabled' } });
  });

  it('refuses expired, revoked, reused and unknown invitation links, creating nobody', async () => {
    const orgId = (await live.api('POST', '/organizations', { name: 'Invites' })).body.id;
    const users0 = await count('select count(*) as n from users');
    const expired = (await live.api('POST', `/organizations/${orgId}/invitations`, { email: 'late@invites.test', role: 'member' })).body;
    await live.app.db.updateTable('invitations').set({ expires_at: '2020-01-01T00:00:00.000Z' }).where('id', '=', expired.id).execute();
    const revoked = (await live.api('POST', `/organizations/${orgId}/invitations`, { email: 'gone@invites.test', role: 'member' })).body;
    expect((await live.api('DELETE', `/invitations/${revoked.id}`)).status).toBe(204);
    const browser = new HttpBrowser();
    const expiredPage = await browser.get(expired.accept_url);
    expect([expiredPage.status, text(expiredPage.html)]).toEqual([410, expect.stringContaining('This invitation has expired')]);
    const revokedPage = await browser.get(revoked.accept_url);
    expect([revokedPage.status, text(revokedPage.html)]).toEqual([410, expect.stringContaining('withdrawn')]);
    const unknown = await browser.get(`${live.url}/invitations/inv_AAAAAAAAAAAA_${'A'.repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect(await count('select count(*) as n from users')).toBe(users0);

    const { acceptUrl } = await member('Reuse', 'once@reuse.test');
    const reused = await browser.get(acceptUrl);
    expect([reused.status, text(reused.html)]).toEqual([410, expect.stringContaining('already been accepted')]);
  });

  it('refuses a weak password and mismatched confirmation on the invitation form, writing nothing', async () => {
    const orgId = (await live.api('POST', '/organizations', { name: 'Weak' })).body.id;
    const invitation = (await live.api('POST', `/organizations/${orgId}/invitations`, { email: 'weak@weak.test', role: 'member' })).body;
    const browser = new HttpBrowser();
    const form = await browser.get(invitation.accept_url);
    const short = await browser.submit(form, '/invitations/', { first_name: 'W', last_name: 'K', password: 'short', password_confirm: 'short' });
    expect(short.status).toBe(422);
    expect(text(short.html)).toContain('Use at least 12 characters.');
    const mismatch = await browser.submit(form, '/invitations/', { first_name: 'W', last_name: 'K', password: PASSWORD, password_confirm: `${PASSWORD}!` });
    expect(text(mismatch.html)).toContain('The two passwords do not match.');
    const forged = await new HttpBrowser().submit(form, '/invitations/', { first_name: 'W', last_name: 'K', password: PASSWORD, password_confirm: PASSWORD });
    expect(forged.status).toBe(403);
    expect((await live.api('GET', `/users?email=weak@weak.test`)).body.data).toEqual([]);
  });

  it('a tampered state is refused by the app, and a wrong redirect_uri never reaches the sign-in page', async () => {
    await member('State', 'sue@state.test');
    const browser = new HttpBrowser();
    const { url, verifier } = await authUrl();
    const emailPage = await browser.follow(url, CALLBACK);
    const after = await browser.submit(await browser.submit(emailPage, '/email', { email: 'sue@state.test' }), '/password', { email: 'sue@state.test', password: PASSWORD });
    const done = await browser.follow(after.location!, CALLBACK);
    const refused = await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier, expectedState: 'tampered-state' }).catch((err: Error & { cause?: unknown }) => err);
    expect(refused).toBeInstanceOf(Error);
    expect(JSON.stringify({ message: (refused as Error).message, cause: String((refused as { cause?: unknown }).cause ?? '') }) + JSON.stringify(refused)).toMatch(/state/);

    const bad = new URL(url);
    bad.searchParams.set('redirect_uri', 'https://evil.example/cb');
    const page = await new HttpBrowser().follow(bad.href);
    expect(page.status).toBe(400);
    expect(page.location).toBeUndefined();
    expect(text(page.html)).toContain('redirect_uri');
  });

  it('requires PKCE from a public client', async () => {
    const pub = (await live.api('POST', '/clients', { name: 'SPA', redirect_uris: [CALLBACK], public: true })).body;
    expect(pub.client_secret).toBeUndefined();
    const url = new URL(`${live.url}/oidc/auth`);
    for (const [k, v] of Object.entries({ client_id: pub.client_id, response_type: 'code', scope: 'openid', redirect_uri: CALLBACK, state: 'st-123456' })) url.searchParams.set(k, v);
    const page = await new HttpBrowser().get(url.href);
    const back = new URL(page.location!);
    expect(back.origin + back.pathname).toBe(CALLBACK);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('a forged CSRF token on the sign-in form is refused', async () => {
    const browser = new HttpBrowser();
    const emailPage = await browser.follow((await authUrl()).url, CALLBACK);
    const forged = await browser.submit({ ...emailPage, html: emailPage.html.replace(/name="_csrf" value="[^"]*"/, 'name="_csrf" value="forged"') }, '/email', { email: 'x@acme.test' });
    expect(forged.status).toBe(403);
    expect(text(forged.html)).toContain('This form expired or was not sent from this site');
  });
});

describe('sign-in hints', () => {
  let live: LiveApp;
  let config: oidc.Configuration;
  beforeAll(async () => {
    live = await startLiveApp();
    const client = (await live.api('POST', '/clients', { name: 'Hints', redirect_uris: [CALLBACK] })).body;
    config = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => live.close());

  const url = async (extra: Record<string, string>) =>
    oidc.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid', state: oidc.randomState(), code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256', ...extra }).href;

  it('login_hint skips the email step; "Not you?" goes back to it', async () => {
    const browser = new HttpBrowser();
    const page = await browser.follow(await url({ login_hint: 'Someone@Example.test' }), CALLBACK);
    expect(text(page.html)).toContain('someone@example.test');
    expect(page.html).toContain('autocomplete="current-password"');
    const change = /href="([^"]*change=1)"/.exec(page.html)![1]!.replace(/&amp;/g, '&');
    const emailPage = await browser.get(new URL(change, live.url).href);
    expect(emailPage.html).toContain('autocomplete="username"');
    expect(emailPage.html).not.toContain('someone@example.test');
  });

  it('domain_hint of an org that enforces SSO (with no connection yet) stops with the clear message', async () => {
    const orgId = (await live.api('POST', '/organizations', { name: 'Hinted', sso_entitled: true, enforce_sso: true })).body.id;
    const domain = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'hinted.test' })).body;
    expect((await live.api('POST', `/domains/${domain.id}/verify`, { method: 'manual' })).status).toBe(200);
    const page = await new HttpBrowser().follow(await url({ domain_hint: 'hinted.test' }), CALLBACK);
    expect(page.status).toBe(403);
    expect(text(page.html)).toContain('Hinted requires you to sign in through your company');
    const plain = await new HttpBrowser().follow(await url({ domain_hint: 'elsewhere.test' }), CALLBACK);
    expect(plain.html).toContain('autocomplete="username"');
  });
});
