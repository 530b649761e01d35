import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsolePerson, consolePerson, signInHttp } from '../helpers/console.ts';
import { rows, usersKit } from '../helpers/console-users.ts';
import { type Page, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { startSmtpServer } from '../helpers/smtp-server.ts';

/**
 * The console's Users section over HTTP, as an admin's browser drives it: the list (search, paging,
 * invitations), a member's page (role, sites, access), and an admin's disable against the directory.
 * The refusals (other orgs, non-admins, CSRF, self-lockout) are in users.security.test.ts.
 */
describe('console: users', () => {
  let live: LiveApp;
  let admin: ConsolePerson;
  let orgId: string;

  beforeAll(async () => {
    live = await startLiveApp();
    admin = await consolePerson(live, { email: 'ada.lovelace@acme.test', orgName: 'Acme' });
    orgId = admin.orgId;
    expect((await signInHttp(live, admin)).status).toBe(200);
  });
  afterAll(async () => live?.close());

  const kit = () => usersKit(live);
  const get = (person: ConsolePerson, path: string) => kit().get(person, path);
  const after = (person: ConsolePerson, page: Page) => kit().after(person, page);
  const addMembers: ReturnType<typeof usersKit>['addMembers'] = (...a) => kit().addMembers(...a);
  const membership = (organizationId: string, userId: string) => kit().membership(organizationId, userId);
  const assignments = (userId: string) => kit().assignments(orgId, userId);
  const events = (organizationId: string, type: string) => kit().events(organizationId, type);
  const orgState = (organizationId: string) => kit().orgState(organizationId);
  const createSite = (organizationId: string, name: string) => kit().createSite(organizationId, name);

  describe('the list', () => {
    it('shows each member with role, sites (with site role), state in words and how they arrived', async () => {
      const [grace, linus, mary] = await addMembers(orgId, [
        { email: 'grace.hopper@acme.test', first: 'Grace', last: 'Hopper', source: 'api' },
        { email: 'linus@acme.test', first: 'Linus', last: 'Pauling', source: 'directory' },
        { email: 'mary@acme.test', first: 'Mary', last: 'Jackson', source: 'sso' },
      ]);
      const site = await createSite(orgId, 'Berlin');
      expect((await live.api('PUT', `/sites/${site}/assignments/${grace}`, { role: 'admin' })).status).toBe(200);
      const lin = await membership(orgId, linus!);
      await live.app.uow((trx) => trx.updateTable('memberships').set({ state: 'disabled', disabled_by: 'directory', disabled_at: new Date().toISOString() }).where('id', '=', lin.id).execute());
      expect((await live.api('POST', `/memberships/${(await membership(orgId, mary!)).id}/disable`)).status).toBe(200);

      const page = await get(admin, '/console/users');
      expect(page.status).toBe(200);
      expect(page.html).toContain('aria-current="page">Users<');
      const list = rows(page.html);
      expect(list.find((r) => r.includes('Ada Lovelace'))).toMatch(/Ada Lovelace You Email: ada\.lovelace@acme\.test Role: Admin Sites: No sites State: Active Arrived by: Invited/);
      expect(list.find((r) => r.includes('Grace Hopper'))).toMatch(/Role: Member Sites: Berlin \(admin\) State: Active Arrived by: API/);
      expect(list.find((r) => r.includes('Linus Pauling'))).toContain('State: Disabled by the directory Arrived by: Directory');
      expect(list.find((r) => r.includes('Mary Jackson'))).toContain('State: Disabled by an admin Arrived by: SSO');
      // Each name leads to the member's page.
      expect(page.html).toContain(`href="/console/users/${grace}"`);
    });

    it('searches by name, full name or email, and says when nobody matches', async () => {
      const byName = rows((await get(admin, '/console/users?q=hopp')).html);
      expect(byName).toHaveLength(1);
      expect(byName[0]).toContain('Grace Hopper');
      const byFullName = rows((await get(admin, `/console/users?q=${encodeURIComponent('Mary Jackson')}`)).html);
      expect(byFullName.map((r) => r.split(' Email:')[0])).toEqual(['Mary Jackson']);
      const byEmail = rows((await get(admin, '/console/users?q=LINUS%40acme')).html);
      expect(byEmail.map((r) => r.split(' Email:')[0])).toEqual(['Linus Pauling']);
      // LIKE wildcards are literal: "%" finds nobody rather than everybody.
      const none = await get(admin, '/console/users?q=%25');
      expect(text(none.html)).toContain('Nobody in Acme matches “%”.');
      expect(none.html).toContain('value="%"');
    });

    it('pages 25 at a time, forwards and back, keeping the search', async () => {
      const boss = await consolePerson(live, { email: 'pat.boss@paging.test', orgName: 'Paging' });
      await signInHttp(live, boss);
      await addMembers(boss.orgId, Array.from({ length: 30 }, (_, i) => ({ email: `p${String(i).padStart(2, '0')}@paging.test`, first: 'Person', last: String(i) })));
      const first = await get(boss, '/console/users');
      const page1 = rows(first.html);
      expect(page1).toHaveLength(25);
      expect(page1[0]).toContain('p00@paging.test');
      expect(text(first.html)).not.toContain('Previous');
      const next = /href="([^"]+)" rel="next"/.exec(first.html)![1]!.replace(/&amp;/g, '&');
      expect(next).not.toContain('@'); // cursors are ids, never addresses
      const second = await get(boss, next);
      const page2 = rows(second.html);
      // 31 people ordered by email: p25..p29 then pat.boss.
      expect(page2.map((r) => /Email: (\S+)/.exec(r)![1])).toEqual(['p25@paging.test', 'p26@paging.test', 'p27@paging.test', 'p28@paging.test', 'p29@paging.test', 'pat.boss@paging.test']);
      expect(second.html).not.toContain('rel="next"');
      const previous = /href="([^"]+)" rel="prev"/.exec(second.html)![1]!.replace(/&amp;/g, '&');
      expect(rows((await get(boss, previous)).html)).toEqual(page1);

      // With a search, the links keep it.
      const searched = await get(boss, '/console/users?q=person');
      expect(rows(searched.html)).toHaveLength(25);
      const searchedNext = /href="([^"]+)" rel="next"/.exec(searched.html)![1]!.replace(/&amp;/g, '&');
      expect(searchedNext).toContain('q=person');
      expect(rows((await get(boss, searchedNext)).html)).toHaveLength(5);
    });
  });

  describe('invitations', () => {
    it('invites with a role, shows the link once with a copy button, and says it was not mailed (no SMTP here)', async () => {
      const list = await get(admin, '/console/users');
      const created = await admin.browser.submit(list, '/console/users/invitations', { email: ' Katherine@Acme.test ', role: 'admin' });
      expect(created.status).toBe(201);
      const shown = text(created.html);
      expect(shown).toContain('katherine@acme.test is invited');
      expect(shown).toContain('as an admin');
      expect(shown).toContain('This link was not emailed');
      const link = /<code class="copy-value__text" id="accept-url">([^<]+)<\/code>/.exec(created.html)![1]!;
      expect(link).toMatch(new RegExp(`^${live.url}/invitations/`));
      expect(created.html).toContain('data-copy="accept-url"');
      // The link opens the acceptance page for Acme.
      const accept = await admin.browser.get(link);
      expect(text(accept.html)).toContain('Acme');

      const invitation = (await live.api('GET', `/organizations/${orgId}/invitations`)).body.data.find((i: { email: string }) => i.email === 'katherine@acme.test');
      expect(invitation).toMatchObject({ role: 'admin', state: 'pending' });
      expect((await events(orgId, 'invitation.created')).at(-1)).toMatchObject({ actor: { type: 'user', id: admin.userId }, data: { email: 'katherine@acme.test', role: 'admin' } });

      // Listed as pending, with its expiry, and never again with its link.
      const again = await get(admin, '/console/users');
      expect(text(again.html)).toMatch(/Pending invitations .*katherine@acme\.test Admin \d+ \w+ \d{4}, \d\d:\d\d UTC Revoke the invitation to katherine@acme\.test/);
      expect(again.html).not.toContain(link);
    });

    it('says what is wrong next to the field, keeping what was typed, and creates nothing', async () => {
      const before = await orgState(orgId);
      const list = await get(admin, '/console/users');
      const blank = await admin.browser.submit(list, '/console/users/invitations', { email: '', role: 'member' });
      expect(blank.status).toBe(422);
      expect(text(blank.html)).toContain('Error: Enter the email address of the person to invite.');
      const bad = await admin.browser.submit(list, '/console/users/invitations', { email: 'not an email', role: 'member' });
      expect(bad.status).toBe(422);
      expect(bad.html).toContain('aria-describedby="email-error"');
      expect(bad.html).toContain('value="not an email"');
      expect(text(bad.html)).toContain('Enter an email address like name@company.com.');
      const role = await admin.browser.submit(list, '/console/users/invitations', { email: 'x@acme.test', role: 'owner' });
      expect(role.status).toBe(422);
      expect(text(role.html)).toContain('Choose Member or Admin.');
      const member = await admin.browser.submit(list, '/console/users/invitations', { email: 'grace.hopper@acme.test', role: 'member' });
      expect(member.status).toBe(409);
      expect(text(member.html)).toContain('grace.hopper@acme.test is already a member of Acme.');
      const twice = await admin.browser.submit(list, '/console/users/invitations', { email: 'katherine@acme.test', role: 'member' });
      expect(twice.status).toBe(409);
      expect(text(twice.html)).toContain('katherine@acme.test already has a pending invitation. Revoke it below to send a new one.');
      expect(await orgState(orgId)).toEqual(before);
    });

    it('revokes after a confirmation page; the link then no longer works', async () => {
      const list = await get(admin, '/console/users');
      const created = await admin.browser.submit(list, '/console/users/invitations', { email: 'temp@acme.test', role: 'member' });
      const link = /id="accept-url">([^<]+)</.exec(created.html)![1]!;
      const id = (await live.api('GET', `/organizations/${orgId}/invitations`)).body.data.find((i: { email: string }) => i.email === 'temp@acme.test').id;
      const confirm = await get(admin, `/console/users/invitations/${id}/revoke`);
      expect(confirm.status).toBe(200);
      expect(text(confirm.html)).toContain('Revoke the invitation to temp@acme.test?');
      expect(confirm.html).toContain('href="/console/users">Cancel</a>');
      const done = await after(admin, await admin.browser.submit(confirm, `/invitations/${id}/revoke`, {}));
      expect(text(done.html)).toContain('Invitation to temp@acme.test revoked. Its link no longer works.');
      expect(text(done.html)).not.toMatch(/Pending invitations .*temp@acme\.test/);
      expect((await live.api('GET', `/invitations/${id}`)).body.state).toBe('revoked');
      expect((await events(orgId, 'invitation.revoked')).at(-1)).toMatchObject({ actor: { type: 'user', id: admin.userId }, data: { invitation_id: id } });
      expect((await admin.browser.get(link)).status).not.toBe(200);
      // Revoking it again says there is nothing to revoke, and changes nothing.
      const again = await after(admin, await admin.browser.submit(confirm, `/invitations/${id}/revoke`, {}));
      expect(text(again.html)).toContain('The invitation to temp@acme.test is revoked: there is nothing to revoke.');
    });

    it('says the link was also mailed when Gatehouse has a mail server', async () => {
      const smtp = await startSmtpServer();
      const mailing = await startLiveApp({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'gatehouse@mail.test' } });
      try {
        const boss = await consolePerson(mailing, { email: 'mia.mail@mail.test', orgName: 'Mailing' });
        await signInHttp(mailing, boss);
        const list = await boss.browser.get(`${mailing.url}/console/users`);
        const created = await boss.browser.submit(list, '/console/users/invitations', { email: 'new@mail.test', role: 'member' });
        expect(created.status).toBe(201);
        expect(text(created.html)).toContain('We also emailed the link to new@mail.test');
        const link = /id="accept-url">([^<]+)</.exec(created.html)![1]!;
        const mails = await smtp.waitFor(smtp.received.length + 1).catch(() => smtp.received);
        const mail = mails.find((m) => m.to.includes('new@mail.test'));
        expect(mail?.text).toContain(link);
      } finally {
        await mailing.close();
        await smtp.close();
      }
    });
  });

  describe("a member's page", () => {
    let grace: string;
    let berlin: string;
    let paris: string;
    beforeAll(async () => {
      grace = (await live.api('GET', '/users?email=grace.hopper@acme.test')).body.data[0].id;
      berlin = (await live.api('GET', `/organizations/${orgId}/sites`)).body.data.find((s: { name: string }) => s.name === 'Berlin').id;
      paris = await createSite(orgId, 'Paris');
    });

    it('shows who they are, how they arrived, their role, sites and access', async () => {
      const page = await get(admin, `/console/users/${grace}`);
      expect(page.status).toBe(200);
      const shown = text(page.html);
      expect(page.html.match(/<h1[ >]/g)).toHaveLength(1);
      expect(shown).toContain('Grace Hopper grace.hopper@acme.test Active Member');
      expect(shown).toContain('Arrived by API · Added through the management API');
      expect(shown).toMatch(/Sites .* Berlin Site role at Berlin .*By hand Remove from Berlin/);
      expect(shown).toContain('Grace Hopper can sign in to Acme\'s applications.');
      expect(page.html).toContain(`href="/console/users/${grace}/disable"`);
      // Only sites she is not on are offered.
      expect(/<select[^>]*id="add-site"[\s\S]*?<\/select>/.exec(page.html)![0]).toContain('Paris');
      expect(/<select[^>]*id="add-site"[\s\S]*?<\/select>/.exec(page.html)![0]).not.toContain('Berlin');
    });

    it('changes the org role by hand (role_source manual) and records it', async () => {
      const m = await membership(orgId, grace);
      await live.app.db.updateTable('memberships').set({ role_source: 'group_mapping' }).where('id', '=', m.id).execute();
      const page = await get(admin, `/console/users/${grace}`);
      expect(text(page.html)).toContain('Set by a directory group mapping.');
      const done = await after(admin, await admin.browser.submit(page, `/console/users/${grace}/role`, { role: 'admin' }));
      expect(text(done.html)).toContain('Grace Hopper is now an admin of Acme.');
      expect(await membership(orgId, grace)).toMatchObject({ role: 'admin', role_source: 'manual' });
      expect((await events(orgId, 'membership.updated')).at(-1)).toMatchObject({ actor: { type: 'user', id: admin.userId }, data: { user_id: grace, role: 'admin', previous_role: 'member' } });
      const back = await after(admin, await admin.browser.submit(done, `/console/users/${grace}/role`, { role: 'member' }));
      expect(text(back.html)).toContain('Grace Hopper is now a member: they can no longer open this console.');
      expect((await membership(orgId, grace)).role).toBe('member');
      const bad = await admin.browser.submit(back, `/console/users/${grace}/role`, { role: 'owner' });
      expect(bad.status).toBe(422);
      expect(text(bad.html)).toContain('Error: Choose Member or Admin.');
    });

    it('assigns a site with a site role, changes the role, and removes it after confirming', async () => {
      const page = await get(admin, `/console/users/${grace}`);
      const none = await admin.browser.submit(page, `/users/${grace}/sites/add`, { site_id: '', role: 'member' });
      expect(none.status).toBe(422);
      expect(text(none.html)).toContain('Error: Choose a site.');
      const badRole = await admin.browser.submit(page, `/users/${grace}/sites/add`, { site_id: paris, role: 'owner' });
      expect(badRole.status).toBe(422);
      expect(text(badRole.html)).toContain('Error: Choose a site role.');

      const added = await after(admin, await admin.browser.submit(page, `/users/${grace}/sites/add`, { site_id: paris, role: 'member' }));
      expect(text(added.html)).toContain('Grace Hopper is now on Paris as member.');
      expect(await assignments(grace)).toEqual(expect.arrayContaining([expect.objectContaining({ site_id: paris, site_name: 'Paris', role: 'member', source: 'manual' })]));
      expect((await events(orgId, 'site_assignment.created')).at(-1)).toMatchObject({ actor: { type: 'user', id: admin.userId }, data: { site_id: paris, user_id: grace, role: 'member' } });
      expect(text(added.html)).toContain('Grace Hopper is already on every site of Acme.');

      const changed = await after(admin, await admin.browser.submit(added, `/users/${grace}/sites/${paris}/role`, { role: 'admin' }));
      expect(text(changed.html)).toContain('Grace Hopper is now admin on Paris.');
      expect((await assignments(grace)).find((a) => a.site_id === paris)?.role).toBe('admin');
      expect((await events(orgId, 'site_assignment.updated')).at(-1)).toMatchObject({ actor: { type: 'user', id: admin.userId }, data: { site_id: paris, role: 'admin', previous_role: 'member' } });

      const confirm = await get(admin, `/console/users/${grace}/sites/${paris}/remove`);
      expect(confirm.status).toBe(200);
      expect(text(confirm.html)).toContain('Remove Grace Hopper from Paris?');
      expect(confirm.html).toContain(`href="/console/users/${grace}#sites">Cancel</a>`);
      const removed = await after(admin, await admin.browser.submit(confirm, `/sites/${paris}/remove`, {}));
      expect(text(removed.html)).toContain('Grace Hopper is no longer on Paris.');
      expect((await assignments(grace)).map((a) => a.site_id)).toEqual([berlin]);
      expect((await events(orgId, 'site_assignment.deleted')).at(-1)).toMatchObject({ actor: { type: 'user', id: admin.userId }, data: { site_id: paris, user_id: grace } });
      // Not on the site any more: its removal page is a 404.
      expect((await get(admin, `/console/users/${grace}/sites/${paris}/remove`)).status).toBe(404);
    });

    it('disables through a confirmation page that says they can no longer sign in, then enables', async () => {
      const confirm = await get(admin, `/console/users/${grace}/disable`);
      expect(confirm.status).toBe(200);
      const shown = text(confirm.html);
      expect(shown).toContain('Disable access for Grace Hopper?');
      expect(shown).toContain('Grace Hopper will no longer be able to sign in');
      expect(shown).toContain('your directory (SCIM) says they are active, they stay disabled');
      expect(confirm.html).toContain(`href="/console/users/${grace}">Cancel</a>`);
      const disabled = await after(admin, await admin.browser.submit(confirm, `/users/${grace}/disable`, {}));
      expect(text(disabled.html)).toContain('Grace Hopper is disabled and can no longer sign in.');
      expect(text(disabled.html)).toContain('Disabled by an admin since');
      expect(text(disabled.html)).toContain('only an administrator can enable them again');
      expect(await membership(orgId, grace)).toMatchObject({ state: 'disabled', disabled_by: 'admin' });
      expect((await events(orgId, 'membership.disabled')).at(-1)).toMatchObject({ actor: { type: 'user', id: admin.userId }, data: { user_id: grace, disabled_by: 'admin' } });
      expect(rows((await get(admin, '/console/users?q=grace')).html)[0]).toContain('State: Disabled by an admin');

      const enabled = await after(admin, await admin.browser.submit(disabled, `/users/${grace}/enable`, {}));
      expect(text(enabled.html)).toContain('Grace Hopper is enabled and can sign in again.');
      expect(await membership(orgId, grace)).toMatchObject({ state: 'active', disabled_by: null });
      expect((await events(orgId, 'membership.enabled')).at(-1)).toMatchObject({ actor: { type: 'user', id: admin.userId }, data: { user_id: grace, enabled_by: 'admin' } });
    });
  });

  describe('directory sync', () => {
    it('a role an admin sets by hand stays when the directory updates the group that mapped it', async () => {
      const directory = (await live.api('POST', `/organizations/${orgId}/directories`, { provider: 'generic', name: 'Roles' })).body;
      const scim = async (method: string, path: string, body: unknown) => {
        const res = await fetch(`${directory.scim_base_url}${path}`, { method, headers: { authorization: `Bearer ${directory.bearer_token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify(body) });
        expect(res.status, path).toBeLessThan(300);
        return (await res.json().catch(() => undefined)) as { id: string };
      };
      const person = (user: string) => scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `${user}@roles.test`, active: true, name: { givenName: user, familyName: 'Roles' }, emails: [{ value: `${user}@roles.test`, primary: true }] });
      const rita = await person('rita');
      const sam = await person('sam');
      const group = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Admins', members: [{ value: rita.id }] });
      expect((await live.api('PUT', `/directories/${directory.id}/group_mappings`, { data: [{ group: 'Admins', org_role: 'admin' }] })).status).toBe(200);
      const ritaId = (await live.api('GET', '/users?email=rita@roles.test')).body.data[0].id;
      expect(await membership(orgId, ritaId)).toMatchObject({ role: 'admin', role_source: 'group_mapping' });

      // The console demotes her by hand: the page promised the mapping no longer changes it.
      const page = await get(admin, `/console/users/${ritaId}`);
      expect(text(page.html)).toContain('Set by a directory group mapping. A role you save here is yours to change');
      await after(admin, await admin.browser.submit(page, `/users/${ritaId}/role`, { role: 'member' }));
      expect(await membership(orgId, ritaId)).toMatchObject({ role: 'member', role_source: 'manual' });
      // The directory then updates her, and the group (someone joins), and the mappings are saved again:
      // each re-applies the mapping, never to a role set by hand.
      await scim('PATCH', `/Users/${rita.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'name.givenName', value: 'Rita' }] });
      await scim('PATCH', `/Groups/${group.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: sam.id }] }] });
      expect((await live.api('PUT', `/directories/${directory.id}/group_mappings`, { data: [{ group: 'Admins', org_role: 'admin' }] })).status).toBe(200);
      expect(await membership(orgId, ritaId)).toMatchObject({ role: 'member', role_source: 'manual' });
      const samId = (await live.api('GET', '/users?email=sam@roles.test')).body.data[0].id;
      expect(await membership(orgId, samId)).toMatchObject({ role: 'admin', role_source: 'group_mapping' });
    });

    it('an admin\'s disable sticks when the directory re-enables the person; the directory\'s own disable reads as such', async () => {
      const domain = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme.test' })).body;
      expect((await live.api('POST', `/domains/${domain.id}/verify`, { method: 'manual' })).status).toBe(200);
      const directory = (await live.api('POST', `/organizations/${orgId}/directories`, { provider: 'generic' })).body;
      const scim = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${directory.scim_base_url}${path}`, {
          method,
          headers: { authorization: `Bearer ${directory.bearer_token}`, 'content-type': 'application/scim+json' },
          body: body ? JSON.stringify(body) : undefined,
        });
        return { status: res.status, body: (await res.json().catch(() => undefined)) as { id: string } };
      };
      const patchActive = (id: string, active: boolean) => scim('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: active }] });
      const created = await scim('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'dora@acme.test', active: true,
        name: { givenName: 'Dora', familyName: 'Directory' }, emails: [{ value: 'dora@acme.test', type: 'work', primary: true }],
      });
      expect(created.status).toBe(201);
      const dora = (await live.api('GET', '/users?email=dora@acme.test')).body.data[0].id;
      expect(rows((await get(admin, '/console/users?q=dora')).html)[0]).toContain('Arrived by: Directory');

      // The directory disables: the console says so, and the directory may enable again.
      expect((await patchActive(created.body.id, false)).status).toBe(200);
      const byDirectory = await get(admin, `/console/users/${dora}`);
      expect(text(byDirectory.html)).toContain('Disabled by the directory since');
      expect(text(byDirectory.html)).toContain('Your directory (SCIM) disabled Dora Directory');
      expect((await patchActive(created.body.id, true)).status).toBe(200);
      expect((await membership(orgId, dora)).state).toBe('active');

      // An admin disables in the console: the directory's "active" no longer brings her back.
      const confirm = await get(admin, `/console/users/${dora}/disable`);
      await after(admin, await admin.browser.submit(confirm, `/users/${dora}/disable`, {}));
      expect((await patchActive(created.body.id, false)).status).toBe(200);
      expect((await patchActive(created.body.id, true)).status).toBe(200);
      expect(await membership(orgId, dora)).toMatchObject({ state: 'disabled', disabled_by: 'admin' });
      const page = await get(admin, `/console/users/${dora}`);
      expect(text(page.html)).toContain('Disabled by an admin since');
      expect(rows((await get(admin, '/console/users?q=dora')).html)[0]).toContain('State: Disabled by an admin');

      // Someone the directory disabled can be kept disabled: the directory's later "active" no longer enables them.
      const eve = await scim('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'eve@acme.test', active: true,
        name: { givenName: 'Eve', familyName: 'Directory' }, emails: [{ value: 'eve@acme.test', type: 'work', primary: true }],
      });
      const eveId = (await live.api('GET', '/users?email=eve@acme.test')).body.data[0].id;
      expect((await patchActive(eve.body.id, false)).status).toBe(200);
      const evePage = await get(admin, `/console/users/${eveId}`);
      expect(text(evePage.html)).toContain('Keep disabled makes it an administrator\'s decision');
      expect(evePage.html).toContain(`href="/console/users/${eveId}/disable"`);
      const keep = await get(admin, `/console/users/${eveId}/disable`);
      await after(admin, await admin.browser.submit(keep, `/users/${eveId}/disable`, {}));
      expect(await membership(orgId, eveId)).toMatchObject({ state: 'disabled', disabled_by: 'admin' });
      expect((await patchActive(eve.body.id, true)).status).toBe(200);
      expect(await membership(orgId, eveId)).toMatchObject({ state: 'disabled', disabled_by: 'admin' });
      expect(text((await get(admin, `/console/users/${eveId}`)).html)).not.toContain('Keep disabled');
    });
  });
});
