import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

const CALLBACK = 'http://127.0.0.1:9/callback';
const PASSWORD = 'correct horse battery staple';

/** The app (openid-client) signs a person in through Gatehouse, end to end over real HTTP. */
describe('sign-in through Gatehouse as the OpenID provider', () => {
  let live: LiveApp;
  let orgId: string;
  let siteId: string;
  let client: { client_id: string; client_secret: string };
  let config: oidc.Configuration;

  beforeAll(async () => {
    live = await startLiveApp();
    orgId = (await live.api('POST', '/organizations', { name: 'Acme' })).body.id;
    siteId = (await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Berlin HQ' })).body.id;
    client = (await live.api('POST', '/clients', { name: 'Workplace', redirect_uris: [CALLBACK], post_logout_redirect_uris: ['http://127.0.0.1:9/bye'] })).body;
    config = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => live.close());

  async function acceptInvitation(browser: HttpBrowser, email: string, role: 'admin' | 'member') {
    const invitation = await live.api('POST', `/organizations/${orgId}/invitations`, { email, role });
    expect(invitation.status).toBe(201);
    const form = await browser.get(invitation.body.accept_url);
    expect(form.status).toBe(200);
    expect(text(form.html)).toContain('Join Acme');
    const done = await browser.submit(form, '/invitations/', { first_name: 'Ada', last_name: 'Lovelace', password: PASSWORD, password_confirm: PASSWORD });
    expect(done.status).toBe(200);
    expect(text(done.html)).toContain('You joined Acme');
    return (await live.api('GET', `/users?email=${encodeURIComponent(email)}`)).body.data[0].id as string;
  }

  /** From the app's authorization request to the code at its callback, typing email and password. */
  async function signIn(browser: HttpBrowser, email: string, password: string, params: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK, scope: 'openid email profile organization offline_access', prompt: 'consent', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...params,
    });
    const emailPage = await browser.follow(url.href, CALLBACK);
    expect(text(emailPage.html)).toContain('Sign in');
    const passwordPage = await browser.submit(emailPage, '/email', { email });
    const after = await browser.submit(passwordPage, '/password', { email, password });
    const page = after.location ? await browser.follow(after.location, CALLBACK) : after;
    return { page, verifier, state, after };
  }

  it('invitation -> password -> sign in -> code -> tokens with the org claims, userinfo, refresh, logout', async () => {
    const browser = new HttpBrowser();
    const userId = await acceptInvitation(browser, 'ada@acme.test', 'admin');
    expect((await live.api('PUT', `/sites/${siteId}/assignments/${userId}`, { role: 'admin' })).status).toBe(200);

    const { page, verifier, state } = await signIn(browser, 'ada@acme.test', PASSWORD);
    expect(page.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const callback = new URL(page.location!);
    expect(callback.searchParams.get('iss')).toBe(live.url); // RFC 9207

    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: live.url, aud: client.client_id, sub: userId, email: 'ada@acme.test', email_verified: true,
      name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace',
      org_id: orgId, org_role: 'admin', sites: [{ id: siteId, name: 'Berlin HQ', role: 'admin' }],
    });
    expect(tokens.refresh_token).toBeTruthy();

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, userId);
    expect(userinfo).toMatchObject({ sub: userId, email: 'ada@acme.test', org_id: orgId, org_role: 'admin', sites: [{ id: siteId, name: 'Berlin HQ', role: 'admin' }] });

    // A site assignment changed after sign-in shows in the refreshed ID token.
    expect((await live.api('PUT', `/sites/${siteId}/assignments/${userId}`, { role: 'member' })).status).toBe(200);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ sub: userId, org_id: orgId, sites: [{ id: siteId, role: 'member' }] });

    const events = (await live.api('GET', `/events?organization_id=${orgId}&types=user.signed_in,invitation.accepted`)).body.data;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['invitation.accepted', 'user.signed_in']);
    expect(events[1].data).toEqual({ user_id: userId, client_id: client.client_id, method: 'pwd' });

    // RP-initiated logout: confirm, land on the registered post-logout URI, and the session is gone.
    const logoutUrl = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/bye' });
    const confirm = await browser.follow(logoutUrl.href);
    const bye = await browser.submit(confirm, 'session/end/confirm', { logout: 'yes' });
    const end = bye.location?.startsWith('http://127.0.0.1:9/bye') ? bye : await browser.follow(bye.location!, 'http://127.0.0.1:9/bye');
    expect(end.location ?? end.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/bye/);
    const again = await browser.follow(oidc.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid', state: 's', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }).href, CALLBACK);
    expect(again.location).toBeUndefined();
    expect(text(again.html)).toContain('Sign in');
  });
});
