import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, type Page, text } from '../helpers/http-browser.ts';
import { ensureMembership } from '../../src/users/provisioning.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

const PASSWORD = 'correct horse battery staple';

/** /console is a client of Gatehouse's own provider and admits admins of the chosen org only. */
describe('console sign-in', () => {
  let live: LiveApp;
  beforeAll(async () => {
    live = await startLiveApp();
  });
  afterAll(async () => live.close());

  async function person(orgName: string, email: string, role: 'admin' | 'member') {
    const orgId = (await live.api('POST', '/organizations', { name: orgName })).body.id as string;
    const inv = (await live.api('POST', `/organizations/${orgId}/invitations`, { email, role })).body;
    const browser = new HttpBrowser();
    const form = await browser.get(inv.accept_url);
    expect((await browser.submit(form, '/invitations/', { first_name: 'Ola', last_name: 'Nordmann', password: PASSWORD, password_confirm: PASSWORD })).status).toBe(200);
    return { orgId, browser };
  }

  async function signInToConsole(browser: HttpBrowser, email: string): Promise<Page> {
    const emailPage = await browser.follow(`${live.url}/console`);
    expect(text(emailPage.html)).toContain('to continue to Gatehouse console');
    const passwordPage = await browser.submit(emailPage, '/email', { email });
    const after = await browser.submit(passwordPage, '/password', { email, password: PASSWORD });
    return browser.follow(after.location!);
  }

  it('signs an admin in, shows who is signed in, and signs out through the provider', async () => {
    const { browser } = await person('Acme', 'admin@acme.test', 'admin');
    const home = await signInToConsole(browser, 'admin@acme.test');
    expect(home.status).toBe(200);
    expect(home.url).toBe(`${live.url}/console`);
    expect(text(home.html)).toContain('admin@acme.test');
    expect(text(home.html)).toContain('Acme');

    // Sign-out is a POST with the CSRF field; a GET or a forged form does nothing.
    expect((await browser.get(`${live.url}/console/logout`)).status).toBe(404);
    const forged = await browser.submit({ ...home, html: home.html.replace(/name="_csrf" value="[^"]*"/, 'name="_csrf" value="forged"') }, '/console/logout', {});
    expect(forged.status).toBe(403);
    expect((await browser.get(`${live.url}/console`)).status).toBe(200);
    const posted = await browser.submit(home, '/console/logout', {});
    const confirm = await browser.follow(posted.location!);
    const out = await browser.submit(confirm, 'session/end/confirm', { logout: 'yes' });
    const signedOut = await browser.follow(out.location!);
    expect(signedOut.url).toBe(`${live.url}/console/signed-out`);
    expect(text(signedOut.html)).toContain('You are signed out');
    // The console session is gone: /console starts a new sign-in.
    const again = await browser.follow(`${live.url}/console`);
    expect(text(again.html)).toContain('Sign in');
  });

  it('refuses a member who is not an admin, and records why', async () => {
    const { orgId, browser } = await person('Members', 'member@members.test', 'member');
    const page = await signInToConsole(browser, 'member@members.test');
    expect(page.status).toBe(403);
    expect(text(page.html)).toContain('Administrators only');
    const events = (await live.api('GET', `/events?organization_id=${orgId}&types=user.signin_failed`)).body.data;
    expect(events.at(-1)).toMatchObject({ data: { reason: 'not_an_admin', client_id: 'gatehouse-console' } });
    // Going back to /console does not let them in.
    const back = await browser.follow(`${live.url}/console`);
    expect(back.url).not.toBe(`${live.url}/console`);
  });

  it('an admin who loses the role is out at the next page', async () => {
    const { orgId, browser } = await person('Demoted', 'boss@demoted.test', 'admin');
    expect((await signInToConsole(browser, 'boss@demoted.test')).status).toBe(200);
    const membership = (await live.api('GET', `/organizations/${orgId}/memberships`)).body.data[0];
    expect((await live.api('PATCH', `/memberships/${membership.id}`, { role: 'member' })).status).toBe(200);
    const next = await browser.get(`${live.url}/console`);
    expect(next.status).toBe(302);
    expect(next.location).toBe(`${live.url}/console/login`);
  });

  it('/console?organization= signs a person who belongs to several orgs in to the one the app named', async () => {
    const { browser } = await person('Member here', 'both@orgs.test', 'member');
    const adminOrg = (await live.api('POST', '/organizations', { name: 'Admin there' })).body.id as string;
    const user = (await live.api('GET', '/users?email=both@orgs.test')).body.data[0];
    await live.app.uow((trx) => ensureMembership(trx, live.call, { organizationId: adminOrg, userId: user.id, role: 'admin', source: 'api' }));
    const emailPage = await browser.follow(`${live.url}/console?organization=${adminOrg}`);
    const passwordPage = await browser.submit(emailPage, '/email', { email: 'both@orgs.test' });
    const after = await browser.submit(passwordPage, '/password', { email: 'both@orgs.test', password: PASSWORD });
    const home = await browser.follow(after.location!);
    expect(home.url).toBe(`${live.url}/console`);
    expect(text(home.html)).toContain('You are an administrator of Admin there .');

    // Signed in to one org, a link naming another signs in again for that one: never the wrong org's console.
    const secondOrg = (await live.api('POST', '/organizations', { name: 'Second admin' })).body.id as string;
    await live.app.uow((trx) => ensureMembership(trx, live.call, { organizationId: secondOrg, userId: user.id, role: 'admin', source: 'api' }));
    // The top bar offers the other org this person administers (and not the one they are only a member of).
    const withSwitch = await browser.get(`${live.url}/console`);
    expect(withSwitch.html).toContain(`<a href="/console?organization=${secondOrg}">Second admin</a>`);
    expect(withSwitch.html).not.toContain('Member here</a>');
    const first = await browser.get(`${live.url}/console?organization=${secondOrg}`);
    expect(first.location).toBe(`${live.url}/console/login?organization=${secondOrg}`);
    const switched = await browser.follow(first.location!);
    expect(switched.url).toBe(`${live.url}/console`);
    expect(text(switched.html)).toContain('You are an administrator of Second admin .');
    expect(text((await browser.get(`${live.url}/console?organization=${secondOrg}`)).html)).toContain('Second admin');
  });
});
