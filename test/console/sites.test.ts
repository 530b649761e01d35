import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleCsrf, consolePerson, type ConsolePerson, signInHttp } from '../helpers/console.ts';
import { type Page, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

/** What a form about a site deleted meanwhile (or another org's) says on the Sites page it lands on. */
const GONE = 'That site no longer exists: someone removed it. Nothing was changed.';

/** The console's Sites section over plain HTTP: list, create, rename, delete with confirmation, refusals. */
describe('console: sites', () => {
  let live: LiveApp;
  let admin: ConsolePerson;
  let grace: ConsolePerson;
  let alan: ConsolePerson;
  let orgId: string;
  let role: string;

  beforeAll(async () => {
    live = await startLiveApp();
    admin = await consolePerson(live, { email: 'ada.lovelace@acme.test', orgName: 'Acme' });
    orgId = admin.orgId;
    grace = await consolePerson(live, { email: 'grace.hopper@acme.test', role: 'member', orgId });
    alan = await consolePerson(live, { email: 'alan.turing@acme.test', role: 'member', orgId });
    role = live.app.config.siteRoles[0]!;
    expect((await signInHttp(live, admin)).url).toBe(`${live.url}/console`);
  }, 60_000);
  afterAll(async () => live?.close());

  const sitesPage = () => admin.browser.get(`${live.url}/console/sites`);
  const apiSites = async () => (await live.api('GET', `/organizations/${orgId}/sites?limit=100`)).body.data as Array<{ id: string; name: string }>;
  const siteNamed = async (name: string) => (await apiSites()).find((s) => s.name === name);
  const assign = async (siteId: string, userId: string) => expect((await live.api('PUT', `/sites/${siteId}/assignments/${userId}`, { role })).status).toBe(200);
  /** The table row of a site, as text. */
  const rowOf = (page: Page, name: string) => text([...page.html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => m[1]!).find((r) => r.includes(`<strong>${name}</strong>`)) ?? '');
  /** The error shown under the name field (tied to it with aria-describedby). */
  const fieldError = (page: Page) => {
    expect(page.html).toMatch(/<input[^>]*id="name"[^>]*aria-describedby="[^"]*name-error[^"]*"[^>]*aria-invalid="true"/);
    return text(/<p class="field__error" id="name-error">([\s\S]*?)<\/p>/.exec(page.html)?.[1] ?? '');
  };

  it('adds a site, then says so once', async () => {
    const page = await sitesPage();
    expect(page.status).toBe(200);
    expect(text(page.html)).toContain('No sites yet');
    const posted = await admin.browser.submit(page, '/console/sites', { name: '  Berlin office  ' });
    expect(posted.status).toBe(303);
    expect(posted.location).toBe(`${live.url}/console/sites`);
    const after = await admin.browser.get(posted.location!);
    expect(text(after.html)).toContain('Site “Berlin office” added.');
    expect(rowOf(after, 'Berlin office')).toMatch(/^Berlin office Nobody \d+ \w+ \d{4} Rename Berlin office Delete Berlin office$/);
    expect(await siteNamed('Berlin office')).toBeDefined();
    // The message is shown once.
    expect(text((await sitesPage()).html)).not.toContain('added.');
    const events = (await live.api('GET', `/events?organization_id=${orgId}&types=site.created`)).body.data;
    expect(events.at(-1)).toMatchObject({ actor: { type: 'user', id: admin.userId }, data: { name: 'Berlin office' } });
  });

  it('refuses a bad name next to the field, keeps what was typed, and creates nothing', async () => {
    const before = await apiSites();
    const page = await sitesPage();
    const cases: Array<[string, number, string]> = [
      ['', 422, 'Enter a name for the site'],
      ['   ', 422, 'Enter a name for the site'],
      ['x'.repeat(201), 422, 'Use at most 200 characters (this name has 201)'],
      ['Line\nbreak', 422, 'without line breaks'],
      // The unique index folds capitals: "BERLIN OFFICE" is "Berlin office".
      ['BERLIN OFFICE', 409, 'Acme already has a site named “BERLIN OFFICE” (names are compared ignoring capitals). Choose another name.'],
    ];
    for (const [name, status, message] of cases) {
      const res = await admin.browser.submit(page, '/console/sites', { name });
      expect(res.status, JSON.stringify(name)).toBe(status);
      expect(fieldError(res)).toContain(message);
      if (name.trim() && !name.includes('\n')) expect(res.html).toContain(`value="${name.trim()}"`);
    }
    expect(await apiSites()).toEqual(before);
  });

  it('lists every site with how many people are assigned to it', async () => {
    const hq = (await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Amsterdam HQ' })).body;
    await assign(hq.id, grace.userId);
    await assign(hq.id, alan.userId);
    const lab = (await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Cambridge lab' })).body;
    await assign(lab.id, alan.userId);
    const page = await sitesPage();
    expect(rowOf(page, 'Amsterdam HQ')).toMatch(/^Amsterdam HQ 2 people /);
    expect(rowOf(page, 'Cambridge lab')).toMatch(/^Cambridge lab 1 person /);
    expect(rowOf(page, 'Berlin office')).toMatch(/^Berlin office Nobody /);
    // By name, whatever the order of creation.
    const order = [...page.html.matchAll(/<td data-label="Name"><strong>([^<]+)<\/strong>/g)].map((m) => m[1]);
    expect(order).toEqual(['Amsterdam HQ', 'Berlin office', 'Cambridge lab']);
    expect(text(page.html)).toContain('3 sites');
  });

  it('renames a site on its own page, refusing a taken or empty name', async () => {
    const site = (await siteNamed('Cambridge lab'))!;
    const list = await sitesPage();
    expect(list.html).toContain(`href="/console/sites/${site.id}/rename"`);
    const form = await admin.browser.get(`${live.url}/console/sites/${site.id}/rename`);
    expect(form.status).toBe(200);
    expect(text(form.html)).toContain('Rename “Cambridge lab”');
    expect(form.html).toContain('value="Cambridge lab"');

    const taken = await admin.browser.submit(form, `/console/sites/${site.id}/rename`, { name: 'amsterdam hq' });
    expect(taken.status).toBe(409);
    expect(fieldError(taken)).toContain('Acme already has a site named “amsterdam hq”');
    expect(taken.html).toContain('value="amsterdam hq"');
    const empty = await admin.browser.submit(form, `/console/sites/${site.id}/rename`, { name: '' });
    expect(empty.status).toBe(422);
    expect(fieldError(empty)).toContain('Enter a name for the site');
    expect((await siteNamed('Cambridge lab'))?.id).toBe(site.id);

    const renamed = await admin.browser.submit(form, `/console/sites/${site.id}/rename`, { name: 'Cambridge research lab' });
    expect(renamed.status).toBe(303);
    const after = await admin.browser.get(renamed.location!);
    expect(text(after.html)).toContain('Site “Cambridge lab” renamed to “Cambridge research lab”.');
    // Assignments stay with the renamed site.
    expect(rowOf(after, 'Cambridge research lab')).toContain('1 person');
    expect((await live.api('GET', `/sites/${site.id}`)).body.name).toBe('Cambridge research lab');
    const event = (await live.api('GET', `/events?organization_id=${orgId}&types=site.updated`)).body.data.at(-1);
    expect(event).toMatchObject({ actor: { type: 'user', id: admin.userId }, data: { site_id: site.id, name: 'Cambridge research lab', previous_name: 'Cambridge lab' } });
  });

  it('deletes a site with people assigned only after a confirmation that says how many lose it', async () => {
    const site = (await siteNamed('Amsterdam HQ'))!;
    const confirm = await admin.browser.get(`${live.url}/console/sites/${site.id}/delete`);
    expect(confirm.status).toBe(200);
    const said = text(confirm.html);
    expect(said).toContain('Delete the site “Amsterdam HQ”?');
    expect(said).toContain('2 people lose their assignment to Amsterdam HQ');
    expect(said).toContain('This cannot be undone');
    expect(confirm.html).toMatch(/<a href="\/console\/sites"[^>]*>Cancel<\/a>/);
    // Nothing happened yet.
    expect(await siteNamed('Amsterdam HQ')).toBeDefined();

    const deleted = await admin.browser.submit(confirm, `/console/sites/${site.id}/delete`, {});
    expect(deleted.status).toBe(303);
    const after = await admin.browser.get(deleted.location!);
    expect(text(after.html)).toContain('Site “Amsterdam HQ” deleted. 2 people lost their assignment to it.');
    expect(after.html).not.toContain('<strong>Amsterdam HQ</strong>');
    expect((await live.api('GET', `/sites/${site.id}`)).status).toBe(404);
    const graceSites = (await live.api('GET', `/users/${grace.userId}/site_assignments?organization_id=${orgId}`)).body.data;
    expect(graceSites).toEqual([]);
    const alanSites = (await live.api('GET', `/users/${alan.userId}/site_assignments?organization_id=${orgId}`)).body.data;
    expect(alanSites.map((s: { site_name: string }) => s.site_name)).toEqual(['Cambridge research lab']);
  });

  it('confirms briefly when nobody is assigned', async () => {
    const site = (await siteNamed('Berlin office'))!;
    const confirm = await admin.browser.get(`${live.url}/console/sites/${site.id}/delete`);
    const said = text(confirm.html);
    expect(said).toContain('Delete the site “Berlin office”?');
    expect(said).toContain('Nobody is assigned to Berlin office.');
    expect(said).not.toContain('lose');
    expect(said).not.toContain('group mapping');
    const deleted = await admin.browser.submit(confirm, `/console/sites/${site.id}/delete`, {});
    expect(deleted.status).toBe(303);
    expect(text((await admin.browser.get(deleted.location!)).html)).toContain('Site “Berlin office” deleted.');
    expect(await siteNamed('Berlin office')).toBeUndefined();
  });

  it('asks again when people were assigned after the confirmation was opened', async () => {
    const site = (await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Dublin' })).body;
    const confirm = await admin.browser.get(`${live.url}/console/sites/${site.id}/delete`);
    expect(text(confirm.html)).toContain('Nobody is assigned');
    await assign(site.id, grace.userId);
    const stale = await admin.browser.submit(confirm, `/console/sites/${site.id}/delete`, {});
    expect(stale.status).toBe(409);
    expect(text(stale.html)).toContain('The number of people assigned to this site changed');
    expect(text(stale.html)).toContain('1 person loses their assignment to Dublin');
    expect((await live.api('GET', `/sites/${site.id}`)).status).toBe(200);
    const deleted = await admin.browser.submit(stale, `/console/sites/${site.id}/delete`, {});
    expect(deleted.status).toBe(303);
    expect((await live.api('GET', `/sites/${site.id}`)).status).toBe(404);
  });

  it('takes a deleted site out of directory group mappings, and directory sync goes on', async () => {
    const domain = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme.test' })).body;
    await live.api('POST', `/domains/${domain.id}/verify`, { method: 'manual' });
    const directory = (await live.api('POST', `/organizations/${orgId}/directories`, { provider: 'okta' })).body;
    const site = (await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Edinburgh' })).body;
    const other = (await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Frankfurt' })).body;
    const mapped = { group: 'Engineering', org_role: null, sites: [{ site_id: site.id, role }, { site_id: other.id, role }] };
    expect((await live.api('PUT', `/directories/${directory.id}/group_mappings`, { data: [mapped] })).status).toBe(200);
    const scim = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${directory.scim_base_url}${path}`, { method, headers: { Authorization: `Bearer ${directory.bearer_token}`, 'Content-Type': 'application/scim+json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, any> };
    };
    const user = (body: string) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: body, emails: [{ value: body, primary: true }], name: { givenName: 'Syn', familyName: 'Ced' }, active: true });
    const first = await scim('POST', '/Users', user('linus.t@acme.test'));
    expect(first.status).toBe(201);
    const group = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering', members: [{ value: first.body.id }] });
    expect(group.status).toBe(201);

    const confirm = await admin.browser.get(`${live.url}/console/sites/${site.id}/delete`);
    const said = text(confirm.html);
    expect(said).toContain('1 person loses their assignment to Edinburgh');
    expect(said).toContain('This directory group mapping assigns the site: group Engineering in the');
    expect(said).toContain('it stops assigning Edinburgh, and keeps its other sites and roles');
    expect((await admin.browser.submit(confirm, `/console/sites/${site.id}/delete`, {})).status).toBe(303);

    const mappings = (await live.api('GET', `/directories/${directory.id}/group_mappings`)).body.data;
    expect(mappings).toEqual([{ group: 'Engineering', org_role: null, sites: [{ site_id: other.id, role }] }]);
    const changed = (await live.api('GET', `/events?organization_id=${orgId}&types=directory.group_mappings_updated`)).body.data.at(-1);
    expect(changed).toMatchObject({ actor: { type: 'user', id: admin.userId }, data: { directory_id: directory.id, mappings: 1 } });
    // The next SCIM write for someone in the group still works (a mapping naming a deleted site made it a 404).
    const second = await scim('POST', '/Users', user('margaret.h@acme.test'));
    expect(second.status).toBe(201);
    const patched = await scim('PATCH', `/Groups/${group.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: second.body.id }] }] });
    expect([200, 204]).toContain(patched.status);
    const margaret = (await live.api('GET', '/users?email=margaret.h@acme.test')).body.data[0].id;
    const secondSites = (await live.api('GET', `/users/${margaret}/site_assignments?organization_id=${orgId}`)).body.data;
    expect(secondSites.map((s: { site_name: string }) => s.site_name)).toEqual(['Frankfurt']);
  });

  it('a Rename or Delete of a site deleted meanwhile comes back to the list saying so, changing nothing', async () => {
    const site = (await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Gone soon' })).body;
    const rename = await admin.browser.get(`${live.url}/console/sites/${site.id}/rename`);
    const remove = await admin.browser.get(`${live.url}/console/sites/${site.id}/delete`);
    expect([rename.status, remove.status]).toEqual([200, 200]);
    // Another admin deletes it through the management API while both pages are open.
    expect((await live.api('DELETE', `/sites/${site.id}`)).status).toBe(204);
    const snapshot = async () => JSON.stringify(await Promise.all(['sites', 'site_assignments', 'group_mappings', 'events'].map((table) => live.app.db.selectFrom(table as 'sites').selectAll().execute())));
    const before = await snapshot();

    for (const [page, action, fields] of [[rename, 'rename', { name: 'Renamed' }], [remove, 'delete', { assigned: '0' }]] as const) {
      const posted = await admin.browser.submit(page, `/console/sites/${site.id}/${action}`, fields);
      expect(posted.status, action).toBe(303);
      expect(posted.location).toBe(`${live.url}/console/sites`);
      const next = await admin.browser.get(posted.location!);
      expect(text(next.html), action).toContain(GONE);
      expect(next.html).toContain('class="alert alert--error" role="alert"');
      expect(text((await sitesPage()).html)).not.toContain(GONE);
    }
    expect(await snapshot()).toBe(before);
    expect(await siteNamed('Renamed')).toBeUndefined();
  });

  it("answers 404 for another org's site, as for a missing one", async () => {
    const globex = (await live.api('POST', '/organizations', { name: 'Globex' })).body.id;
    const theirs = (await live.api('POST', `/organizations/${globex}/sites`, { name: 'Springfield' })).body;
    for (const path of [`/console/sites/${theirs.id}/rename`, `/console/sites/${theirs.id}/delete`, '/console/sites/site_01ARZ3NDEKTSV4RRFFQ69G5FAV/rename']) {
      expect((await admin.browser.get(`${live.url}${path}`)).status, path).toBe(404);
    }
    expect(text((await sitesPage()).html)).not.toContain('Springfield');
  });
});

/** Who must not change sites: a member, an admin of another org at this org's ids, a forged CSRF token. */
describe('console: sites refuse who must not use them', () => {
  let live: LiveApp;
  let admin: ConsolePerson;
  let member: ConsolePerson;
  let outsider: ConsolePerson;
  let site: { id: string; name: string };

  beforeAll(async () => {
    live = await startLiveApp();
    admin = await consolePerson(live, { email: 'ada.lovelace@acme.test', orgName: 'Acme' });
    member = await consolePerson(live, { email: 'grace.hopper@acme.test', role: 'member', orgId: admin.orgId });
    outsider = await consolePerson(live, { email: 'eve.mallory@globex.test', orgName: 'Globex' });
    site = (await live.api('POST', `/organizations/${admin.orgId}/sites`, { name: 'Oslo' })).body;
    expect((await live.api('PUT', `/sites/${site.id}/assignments/${member.userId}`, { role: live.app.config.siteRoles[0] })).status).toBe(200);
    expect((await signInHttp(live, admin)).status).toBe(200);
    expect((await signInHttp(live, member)).status).toBe(403);
    expect((await signInHttp(live, outsider)).status).toBe(200);
  }, 60_000);
  afterAll(async () => live?.close());

  /** Sites, assignments, mappings and events: what a site form could change. */
  const snapshot = async () => JSON.stringify(await Promise.all(['sites', 'site_assignments', 'group_mappings', 'events'].map((table) => live.app.db.selectFrom(table as 'sites').selectAll().execute())));
  const forms = (): Array<{ action: string; fields: Record<string, string> }> => [
    { action: '/console/sites', fields: { name: 'Bergen' } },
    { action: `/console/sites/${site.id}/rename`, fields: { name: 'Trondheim' } },
    { action: `/console/sites/${site.id}/delete`, fields: { assigned: '1' } },
  ];

  it('a member who is not an admin gets 403 and changes nothing', async () => {
    const token = await consoleCsrf(live, member);
    expect(token).not.toBe('');
    for (const form of forms()) {
      const before = await snapshot();
      const res = await member.browser.request('POST', live.url + form.action, { ...form.fields, _csrf: token });
      expect(res.status, form.action).toBe(403);
      expect(text(res.html)).toContain('Administrators only');
      expect(await snapshot(), form.action).toBe(before);
    }
  });

  it("an admin of another org is told at this org's site ids as at a site removed meanwhile, and changes nothing", async () => {
    const token = await consoleCsrf(live, outsider);
    for (const form of forms().slice(1)) {
      const before = await snapshot();
      const res = await outsider.browser.request('POST', live.url + form.action, { ...form.fields, _csrf: token });
      expect(res.status, form.action).toBe(303);
      expect(res.location, form.action).toBe(`${live.url}/console/sites`);
      expect(await snapshot(), form.action).toBe(before);
      const next = await outsider.browser.get(res.location!);
      expect(text(next.html), form.action).toContain(GONE);
      expect(next.html).not.toContain(site.id);
      expect(text(next.html)).not.toContain('Oslo');
    }
    expect((await live.api('GET', `/sites/${site.id}`)).body.name).toBe('Oslo');
  });

  it('a forged CSRF token gets 403 and changes nothing', async () => {
    const page = await admin.browser.get(`${live.url}/console/sites/${site.id}/delete`);
    expect(page.status).toBe(200);
    const real = /name="_csrf" value="([^"]+)"/.exec(page.html)![1]!;
    for (const form of forms()) {
      const before = await snapshot();
      const forged = `${real.slice(0, -4)}AAAA` === real ? `${real.slice(0, -4)}BBBB` : `${real.slice(0, -4)}AAAA`;
      const res = await admin.browser.request('POST', live.url + form.action, { ...form.fields, _csrf: forged });
      expect(res.status, form.action).toBe(403);
      expect(await snapshot(), form.action).toBe(before);
    }
    // The same forms with the real token work: the refusals above were the token's doing.
    const ok = await admin.browser.request('POST', `${live.url}/console/sites/${site.id}/rename`, { name: 'Trondheim', _csrf: real });
    expect(ok.status).toBe(303);
  });
});
