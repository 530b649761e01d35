import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser } from '../../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../../helpers/live-app.ts';
import { startUpstreamOidc, type UpstreamOidc } from '../../helpers/upstream-oidc.ts';

const CALLBACK = 'http://127.0.0.1:9/callback';

/** The app -> Gatehouse -> a real upstream OpenID provider -> Gatehouse -> the app, over real HTTP. */
describe('OIDC single sign-on, end to end', () => {
  let live: LiveApp;
  let upstream: UpstreamOidc;
  let orgId: string;
  let connectionId: string;
  let config: oidc.Configuration;

  beforeAll(async () => {
    live = await startLiveApp();
    orgId = (await live.api('POST', '/organizations', { name: 'Acme', sso_entitled: true })).body.id;
    const domain = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme.test' })).body;
    await live.api('POST', `/domains/${domain.id}/verify`, { method: 'manual' });
    // The redirect URI is known once the connection exists; the upstream client is registered with it after.
    const draft = await live.api('POST', `/organizations/${orgId}/connections`, { type: 'oidc', provider: 'okta' });
    expect(draft.status).toBe(201);
    connectionId = draft.body.id;
    upstream = await startUpstreamOidc({ redirectUris: [draft.body.oidc.redirect_uri] });
    const patched = await live.api('PATCH', `/connections/${connectionId}`, { oidc: { issuer: upstream.issuer, client_id: upstream.clientId, client_secret: upstream.clientSecret, scopes: ['openid', 'email', 'profile'] } });
    expect(patched.status).toBe(200);
    expect(JSON.stringify(patched.body)).not.toContain(upstream.clientSecret);
    expect((await live.api('POST', `/connections/${connectionId}/activate`)).body.state).toBe('active');
    const client = (await live.api('POST', '/clients', { name: 'Workplace', redirect_uris: [CALLBACK] })).body;
    config = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => {
    await live?.close();
    await upstream?.close();
  });

  async function signIn(email: string) {
    const browser = new HttpBrowser();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid email profile organization', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const page = await browser.follow(url.href, CALLBACK);
    const toUpstream = await browser.submit(page, '/email', { email });
    expect(toUpstream.location?.startsWith(upstream.issuer)).toBe(true);
    const back = await browser.follow(toUpstream.location!, CALLBACK);
    return { back, verifier, state, toUpstream };
  }

  it('signs a new person in just in time through the upstream provider', async () => {
    upstream.signInAs({ sub: 'okta-grace', claims: { email: 'grace@acme.test', email_verified: true, given_name: 'Grace', family_name: 'Hopper' } });
    const { back, verifier, state, toUpstream } = await signIn('grace@acme.test');
    const request = new URL(toUpstream.location!).searchParams;
    expect(request.get('code_challenge_method')).toBe('S256');
    expect(request.get('nonce')).toBeTruthy();
    expect(back.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ email: 'grace@acme.test', given_name: 'Grace', family_name: 'Hopper', org_id: orgId, org_role: 'member', sites: [] });
  });

  it('keeps working when the upstream provider rotates its signing key between two sign-ins', async () => {
    upstream.signInAs({ sub: 'okta-alan', claims: { email: 'alan@acme.test', email_verified: true, given_name: 'Alan' } });
    expect((await signIn('alan@acme.test')).back.location).toMatch(/code=/);
    upstream.rotateKeys();
    const second = await signIn('alan@acme.test');
    expect(second.back.location).toMatch(/code=/);
    expect((await live.api('GET', '/users?email=alan%40acme.test')).body.data).toHaveLength(1);
  });

  it('refuses an unverified email, with the reason in the activity log', async () => {
    upstream.signInAs({ sub: 'okta-mallory', claims: { email: 'mallory@acme.test', email_verified: false } });
    const { back } = await signIn('mallory@acme.test');
    expect(back.status).toBe(403);
    expect((await live.api('GET', '/users?email=mallory%40acme.test')).body.data).toHaveLength(0);
    const event = (await live.api('GET', `/events?organization_id=${orgId}&types=sso.signin_failed`)).body.data.at(-1);
    expect(event.data).toMatchObject({ connection_id: connectionId, reason: 'email_unverified' });
  });

  it('ends an upstream error (access_denied) on the failure page and in the activity log', async () => {
    upstream.failNextWith('access_denied');
    const { back } = await signIn('grace@acme.test');
    expect(back.status).toBe(403);
    const event = (await live.api('GET', `/events?organization_id=${orgId}&types=sso.signin_failed`)).body.data.at(-1);
    expect(event.data).toMatchObject({ reason: 'idp_error' });
    expect(event.data.detail).toContain('access_denied');
  });
});
