import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consolePerson, signInHttp } from '../helpers/console.ts';
import { csrfOf, postWithCsrf, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

const AUTH = '/console/settings/authentication';
const MAPPINGS = `${AUTH}/directory-sync/mappings`;
const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/**
 * Settings -> Organisation -> Authentication, the Directory Sync section and its group mappings page
 * (DESIGN.md Console), over HTTP as served, with a real SCIM client filling the directory: status, the
 * `dsync` wizard link, sync events, the preview (computed by the real rules, then rolled back) and Save.
 */
describe('console: directory sync section', () => {
  let live: LiveApp;

  beforeAll(async () => {
    live = await startLiveApp();
  });
  afterAll(async () => live?.close());

  const dsyncSection = (html: string) => /<section[^>]*data-refresh="dsync"[^>]*>[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';

  async function admin(email: string, orgName: string) {
    const person = await consolePerson(live, { email, orgName });
    expect((await signInHttp(live, person)).status).toBe(200);
    return { ...person, page: () => person.browser.get(`${live.url}${AUTH}`) };
  }

  async function directory(orgId: string, provider = 'okta') {
    const res = await live.api('POST', `/organizations/${orgId}/directories`, { provider });
    expect(res.status).toBe(201);
    const scim = async (method: string, path: string, body: unknown) => {
      const answer = await fetch(`${live.url}/scim/v2/${res.body.id}${path}`, {
        method, headers: { Authorization: `Bearer ${res.body.bearer_token}`, 'Content-Type': 'application/scim+json' }, body: JSON.stringify(body),
      });
      expect(answer.status, await answer.clone().text()).toBeLessThan(300);
      return answer.json() as Promise<{ id: string }>;
    };
    return {
      id: res.body.id as string,
      person: (local: string, domain: string) =>
        scim('POST', '/Users', { schemas: [SCIM_USER], userName: `${local}@${domain}`, name: { givenName: local[0]!.toUpperCase() + local.slice(1), familyName: 'Tester' }, emails: [{ value: `${local}@${domain}`, primary: true }], active: true }),
      group: (displayName: string, memberIds: string[]) => scim('POST', '/Groups', { schemas: [SCIM_GROUP], displayName, members: memberIds.map((value) => ({ value })) }),
    };
  }

  const site = async (orgId: string, name: string) => (await live.api('POST', `/organizations/${orgId}/sites`, { name })).body.id as string;
  const userId = async (email: string) => (await live.api('GET', `/users?email=${encodeURIComponent(email)}`)).body.data[0].id as string;

  /** Every row the mappings could change, and the events and webhook deliveries they would write. */
  async function snapshot(orgId: string) {
    const db = live.app.db;
    return {
      mappings: await db.selectFrom('group_mappings').innerJoin('directories', 'directories.id', 'group_mappings.directory_id').selectAll('group_mappings').where('directories.organization_id', '=', orgId).orderBy('id').execute(),
      memberships: await db.selectFrom('memberships').selectAll().where('organization_id', '=', orgId).orderBy('id').execute(),
      assignments: await db.selectFrom('site_assignments').selectAll().where('organization_id', '=', orgId).orderBy('id').execute(),
      events: await db.selectFrom('events').select(['id', 'type']).where('organization_id', '=', orgId).orderBy('id').execute(),
      links: await db.selectFrom('portal_links').select('id').where('organization_id', '=', orgId).execute(),
      deliveries: await db.selectFrom('webhook_deliveries').select('id').orderBy('id').execute(),
    };
  }

  /** The preview table, by email: what each column says. */
  function previewRows(html: string): Record<string, Record<string, string>> {
    const table = /<section class="panel" id="preview"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    const rows: Record<string, Record<string, string>> = {};
    for (const [row] of table.matchAll(/<tr[^>]*>\s*<td[\s\S]*?<\/tr>/g)) {
      const cells = Object.fromEntries([...row.matchAll(/<td data-label="([^"]+)"[^>]*>([\s\S]*?)<\/td>/g)].map((m) => [m[1]!, text(m[2]!)]));
      const email = /[\w.-]+@[\w.-]+/.exec(cells.Person!)![0];
      rows[email] = cells;
    }
    return rows;
  }

  /** The mapping form's fields for `mappings` (one row each), as the page's rows would post them. */
  function mappingFields(directoryId: string, mappings: Array<{ group: string; org_role?: string; site?: string; site_role?: string }>, intent: 'preview' | 'save') {
    const fields: Record<string, string> = { directory: directoryId, rows: String(mappings.length), intent };
    mappings.forEach((m, i) => Object.assign(fields, { [`group_${i}`]: m.group, [`org_role_${i}`]: m.org_role ?? '', [`site_${i}`]: m.site ?? '', [`site_role_${i}`]: m.site_role ?? 'member' }));
    return fields;
  }

  it('shows each directory\'s state and last sync, opens the dsync wizard in a new tab, and lists the sync events', async () => {
    const a = await admin('ada@northwind.test', 'Northwind');
    let section = dsyncSection((await a.page()).html);
    expect(text(section)).toContain('Not set up');
    expect(section).toMatch(/action="\/console\/settings\/authentication\/directory-sync\/setup" target="_blank"/);
    expect(text(section)).toContain('Set up directory sync');
    // No directory yet: the mappings page sends the admin back to set one up.
    const none = await a.browser.get(`${live.url}${MAPPINGS}`);
    expect(none.status).toBe(303);
    expect(text((await a.browser.get(none.location!)).html)).toContain('Set up directory sync first');

    const opened = await a.browser.submit(await a.page(), '/directory-sync/setup', {});
    expect(opened.status).toBe(303);
    expect(opened.location).toMatch(new RegExp(`^${live.url}/portal/gpl_`));
    const link = await live.app.db.selectFrom('portal_links').selectAll().where('organization_id', '=', a.orgId).executeTakeFirstOrThrow();
    expect(link).toMatchObject({ intent: 'dsync', return_url: `${live.url}${AUTH}` });
    const wizard = await a.browser.follow(opened.location!);
    expect(wizard.url).toBe(`${live.url}/portal/dsync`);
    expect(text(wizard.html)).toContain('Which identity provider will send your people?');

    const dir = await directory(a.orgId, 'okta');
    section = dsyncSection((await a.page()).html);
    expect(text(section)).toContain('Okta');
    expect(section).toMatch(/<span class="chip chip--warning">Waiting for the first sync<\/span>/);
    const lastSync = (html: string) => text(/<td data-label="Last sync">([\s\S]*?)<\/td>/.exec(html)?.[1] ?? '');
    expect(lastSync(section)).toBe('Never');
    expect(text(section)).toContain('Nothing yet.');
    expect(text(section)).toContain('Open directory sync setup');
    expect(section).toContain(`href="/console/settings/authentication/directory-sync/mappings?directory=${dir.id}"`);

    const ada = await dir.person('ada', 'northwind.test');
    await dir.group('Engineering', [ada.id]);
    section = dsyncSection((await a.page()).html);
    expect(section).toMatch(/<span class="chip chip--success">Receiving<\/span>/);
    expect(lastSync(section)).toMatch(/^\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC$/);
    expect(text(section)).toContain('1 in 1 group');
    expect(text(section)).toContain('ada@northwind.test was provisioned');
    expect(text(section)).toContain('Group Engineering was created');
  });

  it('previews each person\'s role and sites before saving, writing nothing, and Save then does exactly that', async () => {
    const a = await admin('ada@contoso.test', 'Contoso');
    const london = await site(a.orgId, 'London');
    const paris = await site(a.orgId, 'Paris');
    const dir = await directory(a.orgId, 'entra');
    const ann = await dir.person('ann', 'contoso.test');
    const ben = await dir.person('ben', 'contoso.test');
    await dir.person('cy', 'contoso.test');
    await dir.group('Engineering', [ann.id, ben.id]);
    await dir.group('Sales', [ben.id]);
    // Cy was put on Paris by hand: mappings never touch that.
    expect((await live.api('PUT', `/sites/${paris}/assignments/${await userId('cy@contoso.test')}`, { role: 'admin' })).status).toBeLessThan(300);

    let page = await a.browser.get(`${live.url}${MAPPINGS}`);
    expect(page.status).toBe(200);
    expect(text(page.html)).toContain('Group mappings');
    expect(page.html).toContain('<input type="hidden" name="rows" value="3">');
    expect(page.html).not.toContain('id="preview"');

    const mappings = [
      { group: 'Engineering', org_role: 'admin', site: london, site_role: 'member' },
      { group: 'sales', site: paris, site_role: 'admin' },
    ];
    const before = await snapshot(a.orgId);
    const preview = await postWithCsrf(a.browser, page, MAPPINGS, mappingFields(dir.id, mappings, 'preview'));
    expect(preview.status).toBe(200);
    expect(await snapshot(a.orgId)).toEqual(before);
    expect(text(preview.html)).toContain('Preview ready: nothing is saved yet');
    expect(text(preview.html)).toContain('Saving these mappings changes the access of 2 of 3 people.');
    const shown = previewRows(preview.html);
    expect(shown['ann@contoso.test']).toEqual({ Person: 'Ann Tester ann@contoso.test (changes)', Groups: 'Engineering', 'Role now': 'Member', 'Role after': 'Admin', 'Sites now': 'No sites', 'Sites after': 'London · Member' });
    expect(shown['ben@contoso.test']).toMatchObject({ Groups: 'Engineering, Sales', 'Role now': 'Member', 'Role after': 'Admin', 'Sites now': 'No sites', 'Sites after': 'London · Member Paris · Admin' });
    expect(shown['cy@contoso.test']).toMatchObject({ Groups: 'None', 'Role now': 'Member', 'Role after': 'Member', 'Sites now': 'Paris · Admin By hand', 'Sites after': 'Paris · Admin By hand' });
    // The form keeps the mappings previewed (merged per group), ready to save.
    expect(preview.html).toContain('<input type="hidden" name="rows" value="5">');
    expect(preview.html).toContain('value="Engineering"');

    const saved = await postWithCsrf(a.browser, preview, MAPPINGS, mappingFields(dir.id, mappings, 'save'));
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`${live.url}${MAPPINGS}?directory=${dir.id}`);
    page = await a.browser.get(saved.location!);
    expect(text(page.html)).toContain('Group mappings saved (2). They now apply to everyone Microsoft Entra ID has sent.');
    expect((await live.api('GET', `/directories/${dir.id}/group_mappings`)).body.data).toEqual([
      { group: 'Engineering', org_role: 'admin', sites: [{ site_id: london, role: 'member' }] },
      { group: 'sales', org_role: null, sites: [{ site_id: paris, role: 'admin' }] },
    ]);

    // What Save did is what the preview said: previewed again, everyone's "now" is the earlier "after".
    const again = previewRows((await postWithCsrf(a.browser, page, MAPPINGS, mappingFields(dir.id, mappings, 'preview'))).html);
    for (const email of Object.keys(shown)) {
      expect(again[email]!['Role now'], email).toBe(shown[email]!['Role after']);
      expect(again[email]!['Sites now'], email).toBe(shown[email]!['Sites after']);
      expect(again[email]!.Person, email).not.toContain('(changes)');
    }
    // And through the management API, as the application sees it.
    const memberships = (await live.api('GET', `/organizations/${a.orgId}/memberships`)).body.data as Array<{ user_id: string; role: string }>;
    const roleOf = async (email: string) => { const id = await userId(email); return memberships.find((m) => m.user_id === id)!.role; };
    expect([await roleOf('ann@contoso.test'), await roleOf('ben@contoso.test'), await roleOf('cy@contoso.test')]).toEqual(['admin', 'admin', 'member']);
    const benSites = (await live.api('GET', `/users/${await userId('ben@contoso.test')}/site_assignments?organization_id=${a.orgId}`)).body.data as Array<{ site_id: string; role: string }>;
    expect(benSites.map((s) => [s.site_id, s.role]).sort()).toEqual([[london, 'member'], [paris, 'admin']].sort());
  });
  it('a mapping row that cannot be saved is shown again with its message, and nothing is previewed or saved', async () => {
    const a = await admin('ada@wayne.test', 'Wayne');
    const gotham = await site(a.orgId, 'Gotham');
    const dir = await directory(a.orgId);
    await dir.person('bruce', 'wayne.test');
    const page = await a.browser.get(`${live.url}${MAPPINGS}?directory=${dir.id}`);
    const before = await snapshot(a.orgId);
    for (const intent of ['preview', 'save'] as const) {
      const refused = await postWithCsrf(a.browser, page, MAPPINGS, mappingFields(dir.id, [{ group: 'Board', org_role: 'admin' }, { group: '', site: gotham }, { group: 'Night shift' }], intent));
      expect(refused.status).toBe(422);
      const says = text(refused.html);
      expect(says).toContain('Check the highlighted rows. Nothing was saved.');
      expect(says).toContain('Enter the IdP group this row is for.');
      expect(says).toContain('Choose an organization role, a site, or both.');
      expect(refused.html).toContain('value="Board"');
      expect(refused.html).toMatch(/id="group-1"[^>]*aria-invalid="true" aria-describedby="row-error-1"/);
      expect(refused.html).not.toContain('id="preview"');
    }
    // A site of another org is not one of the choices, whatever the form says.
    const elsewhere = await site((await live.api('POST', '/organizations', { name: 'Elsewhere' })).body.id, 'Metropolis');
    const foreign = await postWithCsrf(a.browser, page, MAPPINGS, mappingFields(dir.id, [{ group: 'Board', site: elsewhere, site_role: 'admin' }], 'save'));
    expect(foreign.status).toBe(422);
    expect(text(foreign.html)).toContain('Choose one of the sites in the list.');
    expect(await snapshot(a.orgId)).toEqual(before);
  });

  it('a Preview or Save for a directory deleted meanwhile comes back to the section saying so, changing nothing', async () => {
    const a = await admin('ada@gone-dsync.test', 'Gone');
    const dir = await directory(a.orgId);
    const page = await a.browser.get(`${live.url}${MAPPINGS}?directory=${dir.id}`);
    expect(page.status).toBe(200);
    // Another admin deletes it through the management API while the page is open.
    expect((await live.api('DELETE', `/directories/${dir.id}`)).status).toBe(204);
    const before = await snapshot(a.orgId);
    for (const intent of ['preview', 'save'] as const) {
      const posted = await postWithCsrf(a.browser, page, MAPPINGS, mappingFields(dir.id, [{ group: 'Admins', org_role: 'admin' }], intent));
      expect(posted.status, intent).toBe(303);
      expect(posted.location).toBe(`${live.url}${AUTH}#directory-sync`);
      const next = await a.browser.get(posted.location!);
      expect(text(next.html), intent).toContain('That directory no longer exists: someone removed it. Nothing was changed.');
    }
    expect(await snapshot(a.orgId)).toEqual(before);
  });

  it('refuses a member who is not an admin, an admin of another org using this org\'s directory, and a forged form token; nothing changes', async () => {
    const a = await admin('ada@target-dsync.test', 'Target');
    const dir = await directory(a.orgId);
    const ann = await dir.person('ann', 'target-dsync.test');
    await dir.group('Admins', [ann.id]);
    const page = await a.browser.get(`${live.url}${MAPPINGS}`);
    const grant = mappingFields(dir.id, [{ group: 'Admins', org_role: 'admin' }], 'save');
    const member = await consolePerson(live, { email: 'bob@target-dsync.test', role: 'member', orgId: a.orgId });
    expect((await signInHttp(live, member)).status).toBe(403);
    const invitation = await live.api('POST', `/organizations/${a.orgId}/invitations`, { email: 'carol@target-dsync.test', role: 'member' });
    const memberPage = await member.browser.get(invitation.body.accept_url);
    const before = await snapshot(a.orgId);

    expect((await member.browser.get(`${live.url}${MAPPINGS}?directory=${dir.id}`)).location).toBe(`${live.url}/console/login`);
    for (const [path, fields] of [[MAPPINGS, grant], [MAPPINGS, { ...grant, intent: 'preview' }], [`${AUTH}/directory-sync/setup`, {}]] as const) {
      const refused = await postWithCsrf(member.browser, memberPage, path, fields);
      expect(refused.status, path).toBe(403);
      expect(text(refused.html)).toContain('Administrators only');
    }

    const forged = await a.browser.request('POST', `${live.url}${MAPPINGS}`, { ...grant, _csrf: 'forged' });
    expect(forged.status).toBe(403);
    expect((await a.browser.request('POST', `${live.url}${AUTH}/directory-sync/setup`, { _csrf: csrfOf(page).slice(0, -2) })).status).toBe(403);

    // Another org's admin with this org's directory id: as unknown as a directory that does not exist.
    const other = await admin('eve@other-dsync.test', 'Other');
    const otherPage = await other.page();
    const peek = await other.browser.get(`${live.url}${MAPPINGS}?directory=${dir.id}`);
    expect(peek.status).toBe(404);
    expect(peek.html).not.toContain('Admins');
    for (const intent of ['preview', 'save'] as const) {
      // Told as for a directory deleted meanwhile, on their own section, with nothing of this org's.
      const refused = await postWithCsrf(other.browser, otherPage, MAPPINGS, { ...grant, intent });
      expect(refused.status, intent).toBe(303);
      expect(refused.location, intent).toBe(`${live.url}${AUTH}#directory-sync`);
      const next = await other.browser.get(refused.location!);
      expect(text(next.html), intent).toContain('That directory no longer exists: someone removed it. Nothing was changed.');
      expect(next.html).not.toContain('ann@target-dsync.test');
      expect(next.html).not.toContain(dir.id);
    }
    expect(await snapshot(a.orgId)).toEqual(before);
    expect((await live.api('GET', `/directories/${dir.id}/group_mappings`)).body.data).toEqual([]);
  });
});
