import * as oidc from 'openid-client';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpBrowser, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

const CALLBACK = 'http://127.0.0.1:9/callback';
const PASSWORD = 'correct horse battery staple';

describe('sign-in state lives in the database', () => {
  const apps: LiveApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.stop();
    await apps[0]?.close();
  });

  it('a restart between the password step and the code exchange completes normally, and the person chooses among two orgs', async () => {
    const first = await startLiveApp();
    apps.push(first);
    const acme = (await first.api('POST', '/organizations', { name: 'Acme' })).body.id;
    const beta = (await first.api('POST', '/organizations', { name: 'Beta' })).body.id;
    const browser = new HttpBrowser();
    for (const [org, role] of [[acme, 'member'], [beta, 'admin']] as const) {
      const inv = (await first.api('POST', `/organizations/${org}/invitations`, { email: 'max@multi.test', role })).body;
      const form = await browser.get(inv.accept_url);
      expect((await browser.submit(form, '/invitations/', { first_name: 'Max', last_name: 'Mu', password: PASSWORD, password_confirm: PASSWORD })).status).toBe(200);
    }
    const client = (await first.api('POST', '/clients', { name: 'App', redirect_uris: [CALLBACK] })).body;
    const config = await oidc.discovery(new URL(first.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid email organization', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });

    const emailPage = await browser.follow(url.href, CALLBACK);
    const passwordPage = await browser.submit(emailPage, '/email', { email: 'max@multi.test' });

    // The server goes away and comes back on the same database and address.
    await first.stop();
    const second = await startLiveApp({ dir: first.dir, port: Number(new URL(first.url).port), apiKey: first.apiKey });
    apps.push(second);

    const after = await browser.submit(passwordPage, '/password', { email: 'max@multi.test', password: PASSWORD });
    const chooser = await browser.follow(after.location!, CALLBACK);
    expect(text(chooser.html)).toContain('Choose an organization');
    expect(chooser.html).toContain(acme);
    expect(chooser.html).toContain(beta);

    // And once more between the organization step and the code exchange.
    await second.stop();
    const third = await startLiveApp({ dir: first.dir, port: Number(new URL(first.url).port), apiKey: first.apiKey });
    apps.push(third);

    const chosen = await browser.submit(chooser, '/organization', { organization_id: beta });
    const done = await browser.follow(chosen.location!, CALLBACK);
    expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ email: 'max@multi.test', org_id: beta, org_role: 'admin', sites: [] });

    // The app can also name the organization: no chooser, the claims are that org's.
    const state2 = oidc.randomState();
    const direct = oidc.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid organization', state: state2, organization: acme, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const back = await browser.follow(direct.href, CALLBACK);
    const tokens2 = await oidc.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: verifier, expectedState: state2 });
    expect(tokens2.claims()).toMatchObject({ org_id: acme, org_role: 'member' });
  });
});
