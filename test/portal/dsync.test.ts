import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listGroupMappings } from '../../src/scim/group-mappings.service.ts';
import { text } from '../helpers/http-browser.ts';
import { createDirectory, SCHEMA, scimClient, verifyDomain } from '../helpers/scim.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { listen, openPortal, type PortalServer, post, snapshot } from './portal-helpers.ts';

/**
 * The dsync intent (/portal/dsync): choose the IdP, copy the SCIM base URL and the token (shown once),
 * regenerate it behind a confirm step, map groups to the org role and sites, read the sync activity.
 */
describe('setup wizard: directory sync', () => {
  let t: TestApp;
  let server: PortalServer;
  let orgId: string;

  beforeEach(async () => {
    t = await createTestApp();
    server = await listen(t);
    orgId = (await t.api.post('/api/v1/organizations', { name: 'Acme' }).expect(201)).body.id;
    await verifyDomain(t, orgId, 'acme.test');
  });
  afterEach(async () => {
    await server.close();
    await t.close();
  });

  const tokenOn = (html: string, dirId: string) => new RegExp(`id="${dirId}-token">(scim_[^<]+)</code>`).exec(html)?.[1];
  const scimPath = (dirId: string) => `/scim/v2/${dirId}`;
  const usersAnswer = (dirId: string, token: string) => t.http.get(`${scimPath(dirId)}/Users`).set('Authorization', `Bearer ${token}`);

  it('creates the directory for the chosen IdP, shows its token once with the IdP\'s own steps, and regenerates it behind a confirm step', async () => {
    const { browser, page } = await openPortal(t, server, orgId, 'dsync');
    const choice = text(page.html);
    expect(choice).toContain('Which identity provider will send your people?');
    for (const name of ['Okta', 'Microsoft Entra ID', 'Google Workspace', 'OneLogin', 'JumpCloud', 'PingOne', 'Rippling', 'Another SCIM 2.0 client']) expect(choice).toContain(name);

    const before = await snapshot(t);
    const none = await post(browser, page, '/portal/dsync/directories', {});
    expect(none.status).toBe(422);
    expect(text(none.html)).toContain('Choose the identity provider that will send your people.');
    expect((await post(browser, page, '/portal/dsync/directories', { provider: 'myspace' })).status).toBe(422);
    expect(await snapshot(t)).toEqual(before);

    const created = await post(browser, page, '/portal/dsync/directories', { provider: 'okta' });
    expect(created.status).toBe(200);
    const dir = await t.app.db.selectFrom('directories').selectAll().where('organization_id', '=', orgId).executeTakeFirstOrThrow();
    expect(dir.provider).toBe('okta');
    const token = tokenOn(created.html, dir.id)!;
    expect(token).toMatch(/^scim_/);
    const shown = text(created.html);
    expect(shown).toContain('Directory created');
    expect(shown).toContain('Copy the token now and paste it into Okta: it is shown only this once.');
    expect(created.html).toContain(`id="${dir.id}-url">http://gatehouse.test/scim/v2/${dir.id}</code>`);
    expect(shown).toContain('SCIM connector base URL');
    expect(shown).toContain('Set it up in Okta');
    expect(shown).toContain('Okta never deletes people over SCIM');
    expect((await usersAnswer(dir.id, token)).status).toBe(200);

    // Reloaded: the token is gone from the page for good.
    const reloaded = await browser.get(`${server.url}/portal/dsync`);
    expect(tokenOn(reloaded.html, dir.id)).toBeUndefined();
    expect(reloaded.html).not.toContain(token);
    expect(text(reloaded.html)).toContain('Hidden: a token is shown only when it is made');

    // Another IdP's steps, without changing anything.
    const entra = text((await browser.get(`${server.url}/portal/dsync?guide=entra`)).html);
    expect(entra).toContain('Set it up in Microsoft Entra ID');
    expect(entra).toContain('?aadOptscim062020 into Tenant URL');
    expect(text((await browser.get(`${server.url}/portal/dsync?guide=google`)).html)).toContain('Google Workspace has no SCIM client for custom apps');

    // Regenerate: a confirm page first (GET changes nothing), then the new token once; the old one stops working.
    const confirm = await browser.get(`${server.url}/portal/dsync/${dir.id}/token`);
    expect(confirm.status).toBe(200);
    expect(text(confirm.html)).toContain('The current token stops working at once: Okta cannot sync until you paste the new token into its Authorization (HTTP Header, Bearer) field.');
    expect((await usersAnswer(dir.id, token)).status).toBe(200);
    const rotated = await post(browser, confirm, `/portal/dsync/${dir.id}/token`);
    expect(rotated.status).toBe(200);
    expect(text(rotated.html)).toContain('New token made: the old one no longer works');
    const fresh = tokenOn(rotated.html, dir.id)!;
    expect(fresh).not.toBe(token);
    expect((await usersAnswer(dir.id, token)).status).toBe(401);
    expect((await usersAnswer(dir.id, fresh)).status).toBe(200);
    const events = await t.app.db.selectFrom('events').select(['type', 'actor_type']).where('type', 'like', 'directory.%').orderBy('id').execute();
    expect(events).toEqual([{ type: 'directory.created', actor_type: 'portal' }, { type: 'directory.token_rotated', actor_type: 'portal' }]);
  });

  it('edits the group mappings as rows, merging the rows of a group into one mapping, and removes a row', async () => {
    const berlin = (await t.api.post(`/api/v1/organizations/${orgId}/sites`, { name: 'Berlin' }).expect(201)).body.id;
    const paris = (await t.api.post(`/api/v1/organizations/${orgId}/sites`, { name: 'Paris' }).expect(201)).body.id;
    const dir = await createDirectory(t, orgId, 'entra');
    const { browser, page } = await openPortal(t, server, orgId, 'dsync');
    expect(page.html).toContain('<input type="hidden" name="rows" value="3">');
    const saved = await post(browser, page, `/portal/dsync/${dir.id}/mappings`, {
      rows: '4',
      group_0: 'Engineering', org_role_0: 'admin', site_0: berlin, site_role_0: 'member',
      group_1: 'engineering', org_role_1: 'member', site_1: paris, site_role_1: 'admin',
      group_2: 'Sales', org_role_2: '', site_2: paris, site_role_2: 'member',
      group_3: '', org_role_3: '', site_3: '', site_role_3: 'member',
    });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`${server.url}/portal/dsync?saved=${dir.id}#mappings-${dir.id}`);
    expect(await listGroupMappings(t.app.db, dir.id)).toEqual([
      { group: 'Engineering', org_role: 'admin', sites: [{ site_id: berlin, role: 'member' }, { site_id: paris, role: 'admin' }] },
      { group: 'Sales', org_role: null, sites: [{ site_id: paris, role: 'member' }] },
    ]);
    const shown = await browser.get(saved.location!);
    expect(text(shown.html)).toContain('Mappings saved');
    // One row per (group, site), then three blank rows.
    expect(shown.html).toContain('<input type="hidden" name="rows" value="6">');
    expect(shown.html).toMatch(new RegExp(`name="site_1">\\s*<option value="">No site</option>\\s*<option value="${berlin}">Berlin</option>\\s*<option value="${paris}" selected>Paris</option>`));

    // Remove Sales' row: the other rows post back as shown.
    const removed = await post(browser, shown, `/portal/dsync/${dir.id}/mappings`, {
      rows: '3',
      group_0: 'Engineering', org_role_0: 'admin', site_0: berlin, site_role_0: 'member',
      group_1: 'Engineering', org_role_1: 'admin', site_1: paris, site_role_1: 'admin',
      group_2: 'Sales', org_role_2: '', site_2: paris, site_role_2: 'member', remove_2: '1',
    });
    expect(removed.status).toBe(303);
    expect((await listGroupMappings(t.app.db, dir.id)).map((m) => m.group)).toEqual(['Engineering']);
  });

  it('refuses incomplete rows and a site of another org row by row, saving nothing', async () => {
    const other = (await t.api.post('/api/v1/organizations', { name: 'Globex' }).expect(201)).body.id;
    const theirSite = (await t.api.post(`/api/v1/organizations/${other}/sites`, { name: 'Globex HQ' }).expect(201)).body.id;
    await t.api.post(`/api/v1/organizations/${orgId}/sites`, { name: 'Berlin' }).expect(201);
    const dir = await createDirectory(t, orgId);
    const { browser, page } = await openPortal(t, server, orgId, 'dsync');
    expect(page.html).toContain('>Berlin</option>');
    expect(page.html).not.toContain('Globex HQ');
    const before = await snapshot(t);
    const refused = await post(browser, page, `/portal/dsync/${dir.id}/mappings`, {
      rows: '4',
      group_0: 'Engineering', org_role_0: 'member', site_0: '', site_role_0: 'member',
      group_1: '', org_role_1: 'admin', site_1: '', site_role_1: 'member',
      group_2: 'Sales', org_role_2: '', site_2: '', site_role_2: 'member',
      group_3: 'Ops', org_role_3: '', site_3: theirSite, site_role_3: 'member',
    });
    expect(refused.status).toBe(422);
    const errors = [...refused.html.matchAll(/class="field__error mapping-row__error" id="[^"]+-err-(\d)" role="cell">([^<]+)</g)].map((m) => [Number(m[1]), m[2]]);
    expect(errors).toEqual([
      [1, 'Enter the IdP group this row is for.'],
      [2, 'Choose an organization role, a site, or both.'],
      [3, 'Choose one of the sites in the list.'],
    ]);
    expect(text(refused.html)).toContain('Check the highlighted rows Nothing was saved.');
    // What was typed stays in the form.
    expect(refused.html).toContain(`value="Ops"`);
    expect(await snapshot(t)).toEqual(before);
    expect(await listGroupMappings(t.app.db, dir.id)).toEqual([]);
  });

  it('shows the last 20 dsync events, newest first, in words', async () => {
    const dir = await createDirectory(t, orgId, 'okta');
    const scim = scimClient(t, dir);
    const { browser } = await openPortal(t, server, orgId, 'dsync');
    expect(text((await browser.get(`${server.url}/portal/dsync`)).html)).toContain('Nothing yet. People and groups appear here');
    for (let i = 0; i < 21; i++) {
      await scim.post('/Users', { schemas: [SCHEMA.user], userName: `p${i}@acme.test`, name: { givenName: 'P', familyName: String(i) }, emails: [{ value: `p${i}@acme.test`, primary: true }], active: true }).expect(201);
      t.clock.advance(1000);
    }
    const user = await t.app.db.selectFrom('scim_users').select('id').where('user_name', '=', 'p3@acme.test').executeTakeFirstOrThrow();
    await scim.post('/Groups', { schemas: [SCHEMA.group], displayName: 'Engineering', members: [{ value: user.id }] }).expect(201);
    const page = await browser.get(`${server.url}/portal/dsync`);
    const items = [...page.html.matchAll(/<span class="activity__text">([^<]+)<\/span>/g)].map((m) => m[1]);
    expect(items).toHaveLength(20);
    expect(items[0]).toBe('Group Engineering was created');
    expect(items[1]).toBe('p20@acme.test was provisioned');
    expect(items[19]).toBe('p2@acme.test was provisioned');
    expect(text(page.html)).toMatch(/Last request from Okta: 1 Dec 2026, 09:00 UTC\./);
  });

  it("answers 404 for another org's directory in the URL, changing nothing (its token keeps working)", async () => {
    const other = (await t.api.post('/api/v1/organizations', { name: 'Globex' }).expect(201)).body.id;
    const theirs = await createDirectory(t, other);
    const mine = await createDirectory(t, orgId);
    const { browser, page } = await openPortal(t, server, orgId, 'dsync');
    expect(page.html).not.toContain(theirs.id);
    const before = await snapshot(t);
    const confirm = await browser.get(`${server.url}/portal/dsync/${theirs.id}/token`);
    expect(confirm.status).toBe(404);
    expect(text(confirm.html)).toContain(`No directory with id ${theirs.id}.`);
    expect(confirm.html).toContain('data-gatehouse-event="gatehouse:load_failed"');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.html)![1]!;
    for (const [path, form] of [[`/portal/dsync/${theirs.id}/token`, {}], [`/portal/dsync/${theirs.id}/mappings`, { rows: '1', group_0: 'Admins', org_role_0: 'admin' }]] as const) {
      const res = await browser.request('POST', `${server.url}${path}`, { _csrf: csrf, ...form });
      expect(res.status, path).toBe(404);
      expect(res.html, path).not.toContain('data-gatehouse-event');
    }
    // A forged token on my own directory: 403.
    expect((await browser.request('POST', `${server.url}/portal/dsync/${mine.id}/token`, { _csrf: csrf.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) })).status).toBe(403);
    expect(await snapshot(t)).toEqual(before);
    expect((await usersAnswer(theirs.id, theirs.token)).status).toBe(200);
    expect((await usersAnswer(mine.id, mine.token)).status).toBe(200);
  });
});
