import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoApp, type DemoApp } from '../../../scripts/demo-app.ts';
import { DEMO_CLIENT_FILE, setUpDemo, type DemoSetup } from '../../../scripts/demo-setup.ts';
import { HttpBrowser, text } from '../../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../../helpers/live-app.ts';
import { freePort } from '../../helpers/server-process.ts';

/** `npm run demo`'s pieces: its idempotent setup, and its app signing in through the simulator. */
describe('npm run demo', () => {
  let live: LiveApp;
  let appUrl: string;
  let first: DemoSetup;
  let second: DemoSetup;
  let app: DemoApp;

  beforeAll(async () => {
    live = await startLiveApp();
    appUrl = `http://127.0.0.1:${await freePort()}`;
    first = await setUpDemo(live.app, { appUrl });
    second = await setUpDemo(live.app, { appUrl });
    app = await startDemoApp({ issuer: live.url, clientId: second.client.client_id, clientSecret: second.client.client_secret, port: Number(new URL(appUrl).port) });
  });
  afterAll(async () => {
    await app?.close();
    await live?.close();
  });

  it('sets up once: a second run reuses the org, domain, site, connection and client', async () => {
    expect(first.created).toHaveLength(5);
    expect(second.created).toEqual([]);
    expect(second.organization.id).toBe(first.organization.id);
    expect(second.connection.id).toBe(first.connection.id);
    expect(second.client).toEqual(first.client);

    const orgs = (await live.api('GET', '/organizations')).body.data;
    expect(orgs).toHaveLength(1);
    expect(orgs[0]).toMatchObject({ name: 'Demo Co', sso_entitled: true, auto_provision: true });
    const domains = (await live.api('GET', `/organizations/${first.organization.id}/domains`)).body.data;
    expect(domains).toEqual([expect.objectContaining({ domain: 'demo.test', state: 'verified' })]);
    expect((await live.api('GET', `/organizations/${first.organization.id}/sites`)).body.data.map((s: { name: string }) => s.name)).toEqual(['Head office']);
    const connections = (await live.api('GET', `/organizations/${first.organization.id}/connections`)).body.data;
    expect(connections).toEqual([expect.objectContaining({ name: 'IdP simulator', state: 'active', provider: 'generic-saml' })]);
    const clients = (await live.api('GET', '/clients')).body.data;
    expect(clients).toEqual([expect.objectContaining({ client_id: first.client.client_id, redirect_uris: [`${appUrl}/callback`], initiate_login_uri: null })]);
    // The secret is shown once by Gatehouse, so the demo keeps it, readable by its owner only.
    expect(fs.statSync(path.join(live.dir, DEMO_CLIENT_FILE)).mode & 0o777).toBe(0o600);
  });

  it('signs in from the demo app through the simulator and shows the claims', async () => {
    const browser = new HttpBrowser();
    const home = await browser.get(`${appUrl}/`);
    expect(home.status).toBe(200);
    expect(home.html).toMatch(/<form method="get" action="\/login"><button type="submit">Sign in<\/button>/);

    const emailPage = await browser.follow(`${appUrl}/login`);
    expect(emailPage.url.startsWith(`${live.url}/login/`)).toBe(true);
    const toIdp = await browser.submit(emailPage, '/email', { email: 'anyone@demo.test' });
    const simulator = await browser.get(toIdp.location!);
    expect(text(simulator.html)).toContain('Sign in to Demo Co');
    const post = await browser.submit(simulator, '/sso/simulator/sso', { email: 'anyone@demo.test', first_name: 'Any', last_name: 'One', groups: 'Everyone' });
    const acs = await browser.submit(post, '/acs', {});
    expect(acs.status).toBe(303);
    const claims = await browser.follow(acs.location!);
    expect(claims.url.startsWith(`${appUrl}/callback?`)).toBe(true);
    expect(claims.status).toBe(200);
    const shown = text(claims.html);
    expect(shown).toContain('Signed in');
    expect(shown).toContain('email anyone@demo.test');
    expect(shown).toContain(`org_id ${first.organization.id}`);
    expect(shown).toContain('org_role member');
    expect(shown).toContain('given_name Any');
    expect(shown).toContain('sites none ([])');

    // The flow cookie is spent: replaying the callback does not sign in again.
    const replay = await browser.get(claims.url);
    expect(replay.status).toBe(400);
  });
});
