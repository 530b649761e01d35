import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsolePerson, consolePerson, signInHttp } from '../helpers/console.ts';
import { FORGED_CSRF, forge, usersKit } from '../helpers/console-users.ts';
import { type Page, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

/** What a form about something removed meanwhile (or another org's) says on the page it lands on. */
const gone = (what: string) => `That ${what} no longer exists: someone removed it. Nothing was changed.`;

/**
 * The console's Users forms refuse, one test per attack, and change nothing (read from the database):
 * a member who is not an admin, an admin of another org using this org's ids, a forged CSRF token,
 * and an admin taking away their own admin role or access (an org must not lock itself out).
 */
describe('console users: refusals', () => {
  let live: LiveApp;
  let admin: ConsolePerson;
  let orgId: string;
  let grace: string;
  let berlin: string;
  let invitationId: string;
  let other: ConsolePerson;
  let userPage: Page;

  beforeAll(async () => {
    live = await startLiveApp();
    admin = await consolePerson(live, { email: 'ada.lovelace@acme.test', orgName: 'Acme' });
    orgId = admin.orgId;
    expect((await signInHttp(live, admin)).status).toBe(200);
    grace = (await usersKit(live).addMembers(orgId, [{ email: 'grace.hopper@acme.test', first: 'Grace', last: 'Hopper' }]))[0]!;
    berlin = await usersKit(live).createSite(orgId, 'Berlin');
    await usersKit(live).createSite(orgId, 'Paris'); // so her page has the "Add to a site" form
    expect((await live.api('PUT', `/sites/${berlin}/assignments/${grace}`, { role: 'admin' })).status).toBe(200);
    invitationId = (await live.api('POST', `/organizations/${orgId}/invitations`, { email: 'pending@acme.test', role: 'member' })).body.id;
    other = await consolePerson(live, { email: 'olga.other@other.test', orgName: 'Other' });
    await signInHttp(live, other);
    userPage = await get(admin, `/console/users/${grace}`);
  });
  afterAll(async () => live?.close());

  const at = (path: string) => `${live.url}${path}`;
  const get = (person: ConsolePerson, path: string) => usersKit(live).get(person, path);
  const orgState = (organizationId: string) => usersKit(live).orgState(organizationId);
  const createSite = (organizationId: string, name: string) => usersKit(live).createSite(organizationId, name);

  /** Every Users form of Acme, with fields that would change something. */
  const forms = (): Array<{ path: string; fields: Record<string, string> }> => [
    { path: `/console/users/${grace}/role`, fields: { role: 'admin' } },
    { path: `/console/users/${grace}/sites/add`, fields: { site_id: berlin, role: 'member' } },
    { path: `/console/users/${grace}/sites/${berlin}/role`, fields: { role: 'member' } },
    { path: `/console/users/${grace}/sites/${berlin}/remove`, fields: {} },
    { path: `/console/users/${grace}/disable`, fields: {} },
    { path: `/console/users/invitations/${invitationId}/revoke`, fields: {} },
    { path: '/console/users/invitations', fields: { email: 'sneaky@acme.test', role: 'admin' } },
    { path: `/console/users/${grace}/enable`, fields: {} },
  ];

  it('a member who is not an admin gets 403 on every form, even with a valid CSRF token', async () => {
    const member = await consolePerson(live, { email: 'mo.member@acme.test', role: 'member', orgId });
    expect((await signInHttp(live, member)).status).toBe(403);
    // A real token for this browser, from the one console page they can open (its sign-out form).
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await get(member, '/console/sign-out')).html)![1]!;
    const before = await orgState(orgId);
    for (const form of forms()) {
      const res = await member.browser.request('POST', at(form.path), { ...form.fields, _csrf: csrf });
      expect(res.status, form.path).toBe(403);
      expect(text(res.html)).toContain('Administrators only');
    }
    expect((await get(member, `/console/users/${grace}`)).status).toBe(302);
    expect(await orgState(orgId)).toEqual(before);
  });

  it("an admin of another org is told at this org's user, site and invitation ids as at ones removed meanwhile, and changes nothing", async () => {
    await createSite(other.orgId, 'Oslo');
    const before = await orgState(orgId);
    const otherBefore = await orgState(other.orgId);
    const own = await get(other, '/console/users');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(own.html)![1]!;
    for (const form of forms().filter((f) => f.path !== '/console/users/invitations')) {
      const res = await other.browser.request('POST', at(form.path), { ...form.fields, _csrf: csrf });
      // Back to their own list: Grace is no member of theirs, the invitation no invitation of theirs.
      expect(res.status, form.path).toBe(303);
      expect(res.location, form.path).toBe(at('/console/users'));
      const next = await get(other, '/console/users');
      expect(text(next.html), form.path).toContain(gone(form.path.includes('/invitations/') ? 'invitation' : 'member'));
      expect(next.html).not.toContain(grace);
    }
    // Their pages stay a 404.
    for (const path of [`/console/users/${grace}`, `/console/users/${grace}/disable`, `/console/users/${grace}/sites/${berlin}/remove`, `/console/users/invitations/${invitationId}/revoke`]) {
      expect((await get(other, path)).status, path).toBe(404);
    }
    // Their own member, with Acme's site: the site is not theirs.
    const ownPage = await get(other, `/console/users/${other.userId}`);
    const res = await other.browser.submit(ownPage, `/users/${other.userId}/sites/add`, { site_id: berlin, role: 'member' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(at(`/console/users/${other.userId}`));
    const back = await get(other, `/console/users/${other.userId}`);
    expect(text(back.html)).toContain(gone('site'));
    expect(text(back.html)).not.toContain('Berlin');
    // Searching never shows Acme's people.
    expect(text((await get(other, '/console/users?q=grace')).html)).toContain('Nobody in Other matches “grace”.');
    expect(await orgState(orgId)).toEqual(before);
    expect(await orgState(other.orgId)).toEqual(otherBefore);
  });

  it('a form about a site assignment, a site or an invitation removed meanwhile lands back where it came from, saying so', async () => {
    const rome = await createSite(orgId, 'Rome');
    const lima = await createSite(orgId, 'Lima');
    for (const site of [rome, lima]) expect((await live.api('PUT', `/sites/${site}/assignments/${grace}`, { role: 'member' })).status).toBe(200);
    const invitation = (await live.api('POST', `/organizations/${orgId}/invitations`, { email: 'gone.soon@acme.test', role: 'member' })).body.id as string;
    const purged = (await live.api('POST', `/organizations/${orgId}/invitations`, { email: 'purged@acme.test', role: 'member' })).body.id as string;
    const page = await get(admin, `/console/users/${grace}`);
    const removal = await get(admin, `/console/users/${grace}/sites/${rome}/remove`);
    const revoke = await get(admin, `/console/users/invitations/${invitation}/revoke`);
    const revokePurged = await get(admin, `/console/users/invitations/${purged}/revoke`);
    expect([page.status, removal.status, revoke.status, revokePurged.status]).toEqual([200, 200, 200, 200]);
    // Another admin removes them through the management API while the pages are open (an invitation is
    // revoked there, not deleted; no API deletes its row, so the purged one goes straight from the database).
    expect((await live.api('DELETE', `/sites/${rome}/assignments/${grace}`)).status).toBe(204);
    expect((await live.api('DELETE', `/sites/${lima}`)).status).toBe(204);
    expect((await live.api('DELETE', `/invitations/${invitation}`)).status).toBe(204);
    await live.app.db.deleteFrom('invitations').where('id', '=', purged).execute();
    const before = await orgState(orgId);

    const submitted: Array<[Page, string, Record<string, string>, string, string]> = [
      [removal, `/users/${grace}/sites/${rome}/remove`, {}, `/console/users/${grace}`, gone('site assignment')],
      // A role change for an assignment removed meanwhile never re-adds it.
      [page, `/users/${grace}/sites/${rome}/role`, { role: 'admin' }, `/console/users/${grace}`, gone('site assignment')],
      [page, `/users/${grace}/sites/${lima}/role`, { role: 'admin' }, `/console/users/${grace}`, gone('site assignment')],
      [page, `/users/${grace}/sites/add`, { site_id: lima, role: 'admin' }, `/console/users/${grace}`, gone('site')],
      [revokePurged, `/invitations/${purged}/revoke`, {}, '/console/users', gone('invitation')],
      // Revoked meanwhile: still there, and the list says so.
      [revoke, `/invitations/${invitation}/revoke`, {}, '/console/users', 'The invitation to gone.soon@acme.test is revoked: there is nothing to revoke.'],
    ];
    for (const [from, action, fields, back, said] of submitted) {
      const res = await admin.browser.submit(from, action, fields);
      expect(res.status, action).toBe(303);
      expect(res.location, action).toBe(at(back));
      expect(text((await get(admin, back)).html), action).toContain(said);
      expect(text((await get(admin, back)).html), action).not.toContain(said);
    }
    expect(await orgState(orgId)).toEqual(before);
    expect((await usersKit(live).assignments(orgId, grace)).map((a) => a.site_name)).not.toContain('Rome');
  });

  it('a forged CSRF token gets 403 on every form and changes nothing', async () => {
    // Each form as the admin's browser has it, from the page that shows it, with its token forged.
    const list = await get(admin, '/console/users');
    const removal = await get(admin, `/console/users/${grace}/sites/${berlin}/remove`);
    const revoke = await get(admin, `/console/users/invitations/${invitationId}/revoke`);
    const disable = await get(admin, `/console/users/${grace}/disable`);
    const pages = [userPage, userPage, userPage, removal, disable, revoke, list];
    const before = await orgState(orgId);
    for (const [i, form] of forms().filter((f) => !f.path.endsWith('/enable')).entries()) {
      const res = await admin.browser.submit(forge(pages[i]!), form.path, form.fields);
      expect(res.status, form.path).toBe(403);
      expect(text(res.html)).toContain('This form expired or was not sent from this site.');
    }
    // Grace is active, so her page has no Enable form: posted by hand with a forged token.
    expect((await admin.browser.request('POST', at(`/console/users/${grace}/enable`), { _csrf: FORGED_CSRF })).status).toBe(403);
    expect(await orgState(orgId)).toEqual(before);
  });

  it('refuses an admin demoting or disabling themselves, saying why, and changes nothing', async () => {
    const before = await orgState(orgId);
    const own = await get(admin, `/console/users/${admin.userId}`);
    expect(text(own.html)).toContain('This is you. Another administrator has to change your role');
    expect(text(own.html)).toContain('You cannot disable your own access');
    expect(own.html).not.toContain(`/console/users/${admin.userId}/disable"`);
    const demote = await admin.browser.submit(own, `/users/${admin.userId}/role`, { role: 'member' });
    expect(demote.status).toBe(409);
    expect(text(demote.html)).toContain('You cannot remove your own administrator role. Another administrator has to do it, so the organization is never left without one.');
    const confirm = await get(admin, `/console/users/${admin.userId}/disable`);
    expect(confirm.status).toBe(409);
    expect(text(confirm.html)).toContain('You cannot disable your own access.');
    const disable = await admin.browser.request('POST', at(`/console/users/${admin.userId}/disable`), { _csrf: /name="_csrf" value="([^"]+)"/.exec(own.html)![1]! });
    expect(disable.status).toBe(409);
    expect(text(disable.html)).toContain('You cannot disable your own access.');
    expect(await orgState(orgId)).toEqual(before);
    // Still an admin: the console still opens.
    expect((await get(admin, '/console/users')).status).toBe(200);
  });
});
