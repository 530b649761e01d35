import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consolePerson, signInHttp } from '../helpers/console.ts';
import { HttpBrowser, postWithCsrf, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

const AUTH = '/console/settings/authentication';

/**
 * Settings -> Organisation -> Authentication, the Single Sign-On section (DESIGN.md Console), driven over
 * HTTP as served: the plan line, the Configure SSO button and its rules (on the page and on the server),
 * the portal link it opens in a new tab, the connection's state, the two switches, the banner's
 * certificate renewal link, and the refusals.
 */
describe('console: single sign-on section', () => {
  let live: LiveApp;
  let simulatorMetadata: string;

  beforeAll(async () => {
    live = await startLiveApp();
    simulatorMetadata = await (await fetch(`${live.url}/sso/simulator/metadata`)).text();
  });
  afterAll(async () => live?.close());

  /** The SSO section's HTML (the data-refresh region). */
  const ssoSection = (html: string) => /<div data-refresh="sso">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
  const setupButton = (html: string) => /<form[^>]*action="\/console\/settings\/authentication\/sso\/setup"[^>]*>[\s\S]*?<button[^>]*>[\s\S]*?<\/button>/.exec(html)?.[0] ?? '';

  async function admin(email: string, orgName: string, sso = true) {
    const person = await consolePerson(live, { email, orgName, sso });
    expect((await signInHttp(live, person)).status).toBe(200);
    const page = async () => person.browser.get(`${live.url}${AUTH}`);
    return { ...person, page };
  }

  async function verifiedDomain(orgId: string, domain: string) {
    const created = await live.api('POST', `/organizations/${orgId}/domains`, { domain });
    expect(created.status).toBe(201);
    expect((await live.api('POST', `/domains/${created.body.id}/verify`, { method: 'manual' })).status).toBe(200);
  }

  const itContact = async (orgId: string, email: string) => expect((await live.api('POST', `/organizations/${orgId}/it_contacts`, { email })).status).toBe(201);

  async function activeSaml(orgId: string, provider = 'okta') {
    const created = await live.api('POST', `/organizations/${orgId}/connections`, { type: 'saml', provider, saml: { metadata_xml: simulatorMetadata } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await live.api('POST', `/connections/${created.body.id}/activate`)).status).toBe(200);
    return created.body.id as string;
  }

  const organization = async (orgId: string) => (await live.api('GET', `/organizations/${orgId}`)).body;
  const portalLinks = (orgId: string) => live.app.db.selectFrom('portal_links').selectAll().where('organization_id', '=', orgId).execute();

  /** Every row this section could change for the org. */
  async function snapshot(orgId: string) {
    const db = live.app.db;
    return {
      organization: await db.selectFrom('organizations').selectAll().where('id', '=', orgId).execute(),
      links: await portalLinks(orgId),
      connections: await db.selectFrom('connections').selectAll().where('organization_id', '=', orgId).execute(),
      events: await db.selectFrom('events').select(['id', 'type']).where('organization_id', '=', orgId).orderBy('id').execute(),
    };
  }

  it('without the SSO plan the section is one line saying whom to ask, and its forms refuse', async () => {
    const a = await admin('ada@plain.test', 'Plain Ltd', false);
    const page = await a.page();
    expect(page.status).toBe(200);
    const shown = text(page.html);
    expect(shown).toContain("Single sign-on is not part of Plain Ltd's plan. To add it, ask the team that runs the application you use Gatehouse through.");
    expect(shown).not.toContain('Configure SSO');
    expect(page.html).not.toContain('data-refresh="sso"');
    expect(page.html).not.toContain('/sso/settings');
    // The directory sync section is not part of the SSO plan: it stays.
    expect(shown).toContain('Set up directory sync');

    const before = await snapshot(a.orgId);
    const forms = [[`${AUTH}/sso/setup`, {}], [`${AUTH}/sso/settings`, { auto_provision: '1' }], [`${AUTH}/sso/enforce`, {}], [`${AUTH}/certificates/renew`, {}]] as const;
    for (const [path, fields] of forms) {
      const refused = await postWithCsrf(a.browser, page, path, fields);
      expect(refused.status, path).toBe(409);
      expect(text(refused.html), path).toContain("Single sign-on is not part of Plain Ltd's plan.");
    }
    expect(await snapshot(a.orgId)).toEqual(before);
  });

  it('Configure SSO stays disabled until a domain is verified and an IT contact exists, naming what is missing; the server refuses the same way', async () => {
    const a = await admin('ada@acme.test', 'Acme');
    let page = await a.page();
    let button = setupButton(page.html);
    expect(button).toContain('Configure SSO');
    expect(button).toMatch(/<button[^>]*disabled/);
    let section = text(ssoSection(page.html));
    expect(section).toContain('Before single sign-on can be set up, Acme needs a verified domain');
    expect(section).toContain('and an IT contact');
    expect(section).toContain('Missing: A verified domain');
    expect(section).toContain('Missing: An IT contact');
    expect(section).toContain('Not set up');

    // A domain that is only added (not verified) does not count.
    expect((await live.api('POST', `/organizations/${a.orgId}/domains`, { domain: 'pending-acme.test' })).status).toBe(201);
    await itContact(a.orgId, 'it@acme.test');
    page = await a.page();
    section = text(ssoSection(page.html));
    expect(setupButton(page.html)).toMatch(/<button[^>]*disabled/);
    expect(section).toContain('Acme needs a verified domain');
    expect(section).not.toContain('an IT contact (');
    expect(section).toContain('Done: 1 IT contact');

    // Whatever the page shows, the server checks the same rule: no link is made.
    const before = await snapshot(a.orgId);
    const refused = await postWithCsrf(a.browser, page, `${AUTH}/sso/setup`);
    expect(refused.status).toBe(422);
    expect(text(ssoSection(refused.html))).toContain('Before single sign-on can be set up, Acme needs a verified domain');
    expect(refused.html).toContain('id="sso-setup-error"');
    expect(await snapshot(a.orgId)).toEqual(before);

    await verifiedDomain(a.orgId, 'acme.test');
    page = await a.page();
    button = setupButton(page.html);
    expect(button).not.toMatch(/<button[^>]*disabled/);
    expect(button).toContain('Configure SSO');
    expect(text(ssoSection(page.html))).toContain('Opens the setup wizard in a new tab.');
    expect(page.html).toMatch(/action="\/console\/settings\/authentication\/sso\/setup" target="_blank"/);
  });

  it('Configure SSO makes a fresh portal link for the wizard, in the new tab, whose way back is this page', async () => {
    const a = await admin('ada@initech.test', 'Initech');
    await verifiedDomain(a.orgId, 'initech.test');
    await itContact(a.orgId, 'it@initech.test');
    const page = await a.page();

    const opened = await a.browser.submit(page, '/sso/setup', {});
    expect(opened.status).toBe(303);
    expect(opened.location).toMatch(new RegExp(`^${live.url}/portal/gpl_`));
    const [link] = await portalLinks(a.orgId);
    expect(link).toMatchObject({ intent: 'sso', return_url: `${live.url}${AUTH}`, opened_at: null });

    const wizard = await a.browser.follow(opened.location!);
    expect(wizard.status).toBe(200);
    expect(wizard.url).toBe(`${live.url}/portal/sso/provider`);
    expect(text(wizard.html)).toContain('Choose your identity provider');
    expect(wizard.html).toContain(`href="${live.url}${AUTH}"`);
    expect(text(wizard.html)).toContain('Back to the application');
    // Each click is a new link; a link opens once (a second browser is told it was used).
    expect((await new HttpBrowser().get(opened.location!)).status).toBe(410);
    const again = await a.browser.submit(page, '/sso/setup', {});
    expect(again.location).not.toBe(opened.location);
    expect(await portalLinks(a.orgId)).toHaveLength(2);
    const events = (await live.api('GET', `/events?organization_id=${a.orgId}&types=portal_link.created`)).body.data;
    expect(events.at(-1)).toMatchObject({ actor: { type: 'user', id: a.userId }, data: { intent: 'sso' } });
  });

  it('a draft reads "Continue SSO setup"; an active connection shows a green Active chip with its provider and protocol', async () => {
    const a = await admin('ada@globex.test', 'Globex');
    await verifiedDomain(a.orgId, 'globex.test');
    await itContact(a.orgId, 'it@globex.test');
    const draft = await live.api('POST', `/organizations/${a.orgId}/connections`, { type: 'saml', provider: 'entra' });
    expect(draft.status).toBe(201);

    let section = ssoSection((await a.page()).html);
    expect(setupButton(section)).toContain('Continue SSO setup');
    expect(text(section)).toContain('Microsoft Entra ID');
    expect(text(section)).toContain('SAML 2.0');
    expect(section).toMatch(/<span class="chip chip--warning">Draft<\/span>/);
    expect(text(section)).toContain('Setup not finished');
    expect(section).not.toContain('chip--success');

    // Activated (through the API here; the browser suite does it through the wizard).
    await live.api('PATCH', `/connections/${draft.body.id}`, { saml: { metadata_xml: simulatorMetadata } });
    expect((await live.api('POST', `/connections/${draft.body.id}/activate`)).status).toBe(200);
    section = ssoSection((await a.page()).html);
    expect(section).toMatch(/<span class="chip chip--success">Active<\/span>/);
    expect(text(section)).toContain('Microsoft Entra ID');
    expect(text(section)).toContain('Signs people in');
    expect(setupButton(section)).toContain('Configure SSO');

    // A replacement being set up: the button continues it, and the page says who signs people in meanwhile.
    expect((await live.api('POST', `/organizations/${a.orgId}/connections`, { type: 'oidc', provider: 'google' })).status).toBe(201);
    section = ssoSection((await a.page()).html);
    expect(setupButton(section)).toContain('Continue SSO setup');
    expect(text(section)).toContain('Microsoft Entra ID keeps signing people in until the replacement being set up (Google Workspace, OpenID Connect) is tested and activated.');

    // Switched off: said in words.
    expect((await live.api('POST', `/connections/${draft.body.id}/deactivate`)).status).toBe(200);
    section = ssoSection((await a.page()).html);
    expect(section).toMatch(/<span class="chip chip--danger">Inactive<\/span>/);
    expect(text(section)).toContain('Switched off: nobody signs in through it');
  });

  it('switches: auto-provisioning saves at once; enforcing SSO is refused without an active connection, and otherwise asks first', async () => {
    const a = await admin('ada@hooli.test', 'Hooli');
    let page = await a.page();
    expect(page.html).toMatch(/<form[^>]*action="\/console\/settings\/authentication\/sso\/settings"[^>]*data-autosubmit/);
    expect(page.html).toMatch(/<button[^>]*data-autosubmit-button[^>]*>Save<\/button>/);
    expect(page.html).toMatch(/name="auto_provision" value="1" checked/);
    const shown = text(ssoSection(page.html));
    expect(shown).toContain('Create accounts at first sign-in');
    expect(shown).toContain('Members can no longer sign in with a password');

    // Unticked boxes send nothing: auto-provisioning off.
    const off = await a.browser.submit(page, '/sso/settings', {});
    expect(off.status).toBe(303);
    expect(off.location).toBe(`${live.url}${AUTH}#sso`);
    page = await a.browser.get(off.location!);
    expect(text(page.html)).toContain('Accounts are no longer created at first sign-in');
    expect(page.html).toMatch(/name="auto_provision" value="1">/);
    expect(await organization(a.orgId)).toMatchObject({ auto_provision: false, enforce_sso: false });

    // Enforce without an active connection: refused, nothing saved (not even the other switch).
    const before = await snapshot(a.orgId);
    const refused = await a.browser.submit(page, '/sso/settings', { auto_provision: '1', enforce_sso: '1' });
    expect(refused.status).toBe(409);
    expect(text(ssoSection(refused.html))).toContain('Single sign-on can only be required once a connection is active');
    expect(refused.html).toMatch(/name="enforce_sso" value="1" aria-invalid="true" aria-describedby="enforce_sso-error"/);
    expect((await a.browser.get(`${live.url}${AUTH}/sso/enforce`)).status).toBe(409);
    expect((await postWithCsrf(a.browser, page, `${AUTH}/sso/enforce`)).status).toBe(409);
    expect(await snapshot(a.orgId)).toEqual(before);

    // With an active connection: a confirmation page first, which changes nothing; Cancel goes back.
    await activeSaml(a.orgId);
    page = await a.page();
    const asked = await a.browser.submit(page, '/sso/settings', { auto_provision: '1', enforce_sso: '1' });
    expect(asked.status).toBe(303);
    expect(asked.location).toBe(`${live.url}${AUTH}/sso/enforce?auto_provision=1`);
    const confirm = await a.browser.get(asked.location!);
    expect(confirm.status).toBe(200);
    const says = text(confirm.html);
    expect(says).toContain('Require single sign-on for Hooli?');
    expect(says).toContain('Members can no longer sign in with a password.');
    expect(says).toContain('Okta (SAML 2.0)');
    // Ada's own address is not on a verified domain of Hooli: required SSO would lock her out, and the page says so.
    expect(says).toContain(`You would lose access to this console Your address, ada@hooli.test, is not on a verified domain of Hooli`);
    await verifiedDomain(a.orgId, 'hooli.test');
    expect(text((await a.browser.get(asked.location!)).html)).not.toContain('You would lose access');
    expect(confirm.html).toMatch(/<a href="\/console\/settings\/authentication#sso" class="button button--secondary">Cancel<\/a>/);
    expect(await organization(a.orgId)).toMatchObject({ auto_provision: false, enforce_sso: false });

    const confirmed = await a.browser.submit(confirm, '/sso/enforce', {});
    expect(confirmed.status).toBe(303);
    page = await a.browser.get(confirmed.location!);
    expect(text(page.html)).toContain('Accounts are now created at first sign-in. Single sign-on is now required: passwords no longer work for members.');
    expect(await organization(a.orgId)).toMatchObject({ auto_provision: true, enforce_sso: true });
    expect(page.html).toMatch(/name="enforce_sso" value="1" checked/);
    const changes = (await live.api('GET', `/events?organization_id=${a.orgId}&types=organization.updated`)).body.data;
    expect(changes.at(-1)).toMatchObject({ actor: { type: 'user', id: a.userId }, data: { changes: { auto_provision: true, enforce_sso: true } } });

    // Turning it off asks nothing.
    const relaxed = await a.browser.submit(page, '/sso/settings', { auto_provision: '1' });
    expect(relaxed.status).toBe(303);
    expect(text((await a.browser.get(relaxed.location!)).html)).toContain('Single sign-on is no longer required');
    expect(await organization(a.orgId)).toMatchObject({ auto_provision: true, enforce_sso: false });
  });

  it('the banner\'s Renew certificate opens the certificate renewal wizard through a fresh portal link', async () => {
    const a = await admin('ada@umbrella.test', 'Umbrella');
    await verifiedDomain(a.orgId, 'umbrella.test');
    await itContact(a.orgId, 'it@umbrella.test');
    const connectionId = await activeSaml(a.orgId);
    // The simulator's certificate lives for years: brought within the banner's 30 days.
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString();
    await live.app.db.updateTable('connection_certificates').set({ not_after: soon }).where('connection_id', '=', connectionId).execute();

    const page = await a.page();
    expect(text(page.html)).toMatch(/The signing certificate of .+ expires in 10 days/);
    expect(page.html).toMatch(/action="\/console\/settings\/authentication\/certificates\/renew" target="_blank"/);
    const opened = await a.browser.submit(page, '/certificates/renew', {});
    expect(opened.status).toBe(303);
    expect(opened.location).toMatch(new RegExp(`^${live.url}/portal/gpl_`));
    const [link] = await portalLinks(a.orgId);
    expect(link).toMatchObject({ intent: 'certificate_renewal', return_url: `${live.url}${AUTH}` });
    const wizard = await a.browser.follow(opened.location!);
    expect(wizard.status).toBe(200);
    expect(wizard.url).toBe(`${live.url}/portal/certificates`);
    expect(text(wizard.html)).toContain('Back to the application');
  });

  it('refuses a member who is not an admin, an admin of another org, and a forged form token; nothing changes', async () => {
    const a = await admin('ada@target.test', 'Target');
    await verifiedDomain(a.orgId, 'target.test');
    await itContact(a.orgId, 'it@target.test');
    // Signed in (and refused) before SSO is active: afterwards target.test would be sent to the IdP.
    const member = await consolePerson(live, { email: 'bob@target.test', role: 'member', orgId: a.orgId });
    expect((await signInHttp(live, member)).status).toBe(403);
    // A page with a valid form token for the member's browser (any Gatehouse form signs the same cookie).
    const invitation = await live.api('POST', `/organizations/${a.orgId}/invitations`, { email: 'carol@target.test', role: 'member' });
    const memberPage = await member.browser.get(invitation.body.accept_url);
    await activeSaml(a.orgId);
    const page = await a.page();
    const before = await snapshot(a.orgId);
    const forms: Array<[string, Record<string, string>]> = [
      [`${AUTH}/sso/setup`, {}],
      [`${AUTH}/sso/settings`, { enforce_sso: '1' }],
      [`${AUTH}/sso/enforce`, { auto_provision: '0' }],
      [`${AUTH}/certificates/renew`, {}],
    ];

    // A member of the org: refused at sign-in, and every form answers 403 even with a valid form token.
    for (const [path, fields] of forms) {
      const refused = await postWithCsrf(member.browser, memberPage, path, fields);
      expect(refused.status, path).toBe(403);
      expect(text(refused.html)).toContain('Administrators only');
    }

    // A forged token: 403 from the admin's own session.
    for (const [path, fields] of forms) {
      const forged = await a.browser.request('POST', `${live.url}${path}`, { _csrf: 'forged', ...fields });
      expect(forged.status, path).toBe(403);
    }
    expect(await snapshot(a.orgId)).toEqual(before);

    // An admin of another org: the forms act on their own org only (there are no ids to point elsewhere).
    const other = await admin('eve@other.test', 'Other');
    const otherPage = await other.page();
    const otherBefore = await snapshot(other.orgId);
    expect((await postWithCsrf(other.browser, otherPage, `${AUTH}/sso/settings`, { enforce_sso: '1' })).status).toBe(409);
    expect((await postWithCsrf(other.browser, otherPage, `${AUTH}/sso/enforce`, {})).status).toBe(409);
    expect((await postWithCsrf(other.browser, otherPage, `${AUTH}/sso/setup`, {})).status).toBe(422);
    expect(await snapshot(other.orgId)).toEqual(otherBefore);
    expect(await snapshot(a.orgId)).toEqual(before);
    expect((await postWithCsrf(other.browser, otherPage, `${AUTH}/sso/settings`, {})).status).toBe(303);
    expect(await organization(other.orgId)).toMatchObject({ auto_provision: false });
    expect(await organization(a.orgId)).toMatchObject({ auto_provision: true, enforce_sso: false });
  });
});
