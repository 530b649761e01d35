/**
 * SCIM Users (RFC 7643/7644): lists, errors, and Gatehouse's own rules for what a directory may do to
 * people (the same person on re-create, an admin's disable sticks, emails on another org's verified
 * domains are refused).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrg } from '../helpers/api.ts';
import {
  type AcmeDirectory, acmeDirectory, createDirectory, eventLog, expectScimError, filterQuery, membershipOf, memberIds, patchOp, SCHEMA, type ScimClient, scimClient, scimSnapshot, type TestDirectory, userBody, userByEmail, verifyDomain,
} from '../helpers/scim.ts';
import type { TestApp } from '../helpers/test-app.ts';

let t: TestApp, org: string, dir: TestDirectory, scim: ScimClient;
let createUser: AcmeDirectory['createUser'], createGroup: AcmeDirectory['createGroup'];

beforeEach(async () => ({ t, org, dir, scim, createUser, createGroup } = await acmeDirectory()));
afterEach(async () => t.close());

describe('lists (RFC 7644 §3.4.2)', () => {
  it('answers integer list fields and pages with startIndex and count in a stable order', async () => {
    const ids: string[] = [];
    for (const name of ['ada', 'bob', 'cy', 'dee', 'eve']) ids.push((await createUser(name)).id);

    const page = async (query: string) => (await scim.get(`/Users?${query}`).expect(200)).body;
    const first = await page('startIndex=1&count=2');
    expect(first).toMatchObject({ schemas: [SCHEMA.list], totalResults: 5, itemsPerPage: 2, startIndex: 1 });
    for (const key of ['totalResults', 'itemsPerPage', 'startIndex']) expect(Number.isInteger(first[key])).toBe(true);
    expect(first.Resources.map((r: { id: string }) => r.id)).toEqual(ids.slice(0, 2));
    expect((await page('startIndex=3&count=2')).Resources.map((r: { id: string }) => r.id)).toEqual(ids.slice(2, 4));
    expect(await page('startIndex=5&count=2')).toMatchObject({ totalResults: 5, itemsPerPage: 1, startIndex: 5, Resources: [{ id: ids[4] }] });
    expect(await page('startIndex=6&count=2')).toEqual({ schemas: [SCHEMA.list], totalResults: 5, itemsPerPage: 0, startIndex: 6, Resources: [] });
    // count=0 answers only the total (RFC 7644 §3.4.2.4); a negative count is 0; startIndex below 1 is 1.
    expect(await page('count=0')).toEqual({ schemas: [SCHEMA.list], totalResults: 5, itemsPerPage: 0, startIndex: 1, Resources: [] });
    expect(await page('count=-3')).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
    expect(await page('startIndex=0&count=1')).toMatchObject({ startIndex: 1, Resources: [{ id: ids[0] }] });
    // Without count: everything up to the default page; a huge count is capped at maxResults.
    expect((await page('')).Resources).toHaveLength(5);
    expect((await page('count=100000')).Resources).toHaveLength(5);
    // A filter pages the same way.
    expect(await page(`${filterQuery('name.familyName eq "Tester"')}&startIndex=2&count=2`)).toMatchObject({ totalResults: 5, itemsPerPage: 2, startIndex: 2 });
  });

  it('answers only the attributes asked for (attributes), or all but the excluded ones (excludedAttributes)', async () => {
    const ada = await createUser('ada', { displayName: 'Ada', title: 'Analyst', [SCHEMA.enterprise]: { department: 'R&D', costCenter: '42' } });
    const only = (await scim.get(`/Users/${ada.id}?attributes=userName,name.givenName`).expect(200)).body;
    expect(only).toEqual({ schemas: [SCHEMA.user, SCHEMA.enterprise], id: ada.id, userName: 'ada@acme.example', name: { givenName: 'Ada' }, meta: ada.meta });
    const list = (await scim.get(`/Users?attributes=emails&${filterQuery('userName eq "ada@acme.example"')}`).expect(200)).body;
    expect(list.Resources).toEqual([{ schemas: [SCHEMA.user, SCHEMA.enterprise], id: ada.id, emails: ada.emails, meta: ada.meta }]);
    const without = (await scim.get(`/Users/${ada.id}?excludedAttributes=emails,title,groups`).expect(200)).body;
    expect(without).not.toHaveProperty('emails');
    expect(without).not.toHaveProperty('title');
    expect(without).not.toHaveProperty('groups');
    // id and schemas are always returned (RFC 7643 §7 returned: always).
    expect(without).toMatchObject({ id: ada.id, schemas: [SCHEMA.user, SCHEMA.enterprise], userName: 'ada@acme.example', displayName: 'Ada', name: ada.name });
    expect((await scim.get(`/Users/${ada.id}?excludedAttributes=id,schemas`).expect(200)).body).toMatchObject({ id: ada.id, schemas: [SCHEMA.user, SCHEMA.enterprise] });

    const group = await createGroup('Staff', [ada.id]);
    expect((await scim.get(`/Groups/${group.id}?attributes=displayName`).expect(200)).body).toEqual({ schemas: [SCHEMA.group], id: group.id, displayName: 'Staff', meta: group.meta });
    expect((await scim.get(`/Groups?attributes=members.value`).expect(200)).body.Resources).toEqual([{ schemas: [SCHEMA.group], id: group.id, members: [{ value: ada.id }], meta: group.meta }]);
  });
});

describe('errors (RFC 7644 §3.12)', () => {
  it('answers 409 uniqueness for a userName taken in another letter case, on POST, PUT and PATCH', async () => {
    const ada = await createUser('ada');
    const bob = await createUser('bob');
    const clash = await scim.post('/Users', { ...userBody('ada2'), userName: 'ADA@Acme.Example' });
    expectScimError(clash, 409, 'uniqueness');
    expectScimError(await scim.put(`/Users/${bob.id}`, { ...userBody('bob'), userName: 'Ada@acme.example' }), 409, 'uniqueness');
    expectScimError(await scim.patch(`/Users/${bob.id}`, patchOp({ op: 'replace', path: 'userName', value: 'ada@ACME.example' })), 409, 'uniqueness');
    // The same email under a new userName is the same person, already provisioned here.
    expectScimError(await scim.post('/Users', { ...userBody('ada'), userName: 'ada.lovelace' }), 409, 'uniqueness');
    // A user may change the case of their own userName.
    expect((await scim.patch(`/Users/${ada.id}`, patchOp({ op: 'replace', path: 'userName', value: 'Ada@Acme.example' })).expect(200)).body.userName).toBe('Ada@Acme.example');
    expect((await scim.get('/Users').expect(200)).body.totalResults).toBe(2);
  });

  it('answers 400 invalidFilter for filters it cannot evaluate', async () => {
    for (const filter of ['userName eq', 'userName eq "a" and', 'nickName eq "a"', 'active gt true', 'userName eq "a")', `userName eq "${'a'.repeat(2100)}"`]) {
      expectScimError(await scim.get(`/Users?${filterQuery(filter)}`), 400, 'invalidFilter', filter);
    }
    expectScimError(await scim.get(`/Groups?${filterQuery('userName eq "a"')}`), 400, 'invalidFilter');
    // Two filter parameters are refused, never answered as if there were none.
    await createUser('twofilters');
    expectScimError(await scim.get(`/Users?${filterQuery('userName eq "nobody@acme.test"')}&${filterQuery('active eq true')}`), 400, 'invalidFilter');
    expectScimError(await scim.get(`/Users?${filterQuery('members[value eq "a"]')}`), 400, 'invalidFilter');
  });

  it('answers 400 invalidValue for values it cannot take, and writes nothing', async () => {
    const group = await createGroup('Staff');
    const before = await scimSnapshot(t);
    const cases: Array<[string, unknown]> = [
      ['no userName', { schemas: [SCHEMA.user], emails: [{ value: 'a@acme.example' }] }],
      ['active neither boolean nor "True"/"False"', userBody('ada', { active: 'maybe' })],
      ['no email at all', { schemas: [SCHEMA.user], userName: 'ada' }],
      ['an email that is not one', userBody('ada', { emails: [{ value: 'not-an-email', type: 'work' }] })],
      ['emails not an array', userBody('ada', { emails: 'ada@acme.example' })],
    ];
    for (const [label, body] of cases) expectScimError(await scim.post('/Users', body), 400, 'invalidValue', label);
    expectScimError(await scim.post('/Groups', { schemas: [SCHEMA.group] }), 400, 'invalidValue');
    expectScimError(await scim.patch(`/Groups/${group.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: 'dsu_01M8T247H71E8T82MXYZ8V2G2J' }] })), 400, 'invalidValue');
    expectScimError(await scim.post('/Users', '["not", "an", "object"]'), 400, 'invalidSyntax');
    expect(await scimSnapshot(t)).toEqual(before);
  });

  it('answers the PATCH engine errors: invalidPath, noTarget, mutability, invalidSyntax, and changes nothing', async () => {
    const ada = await createUser('ada');
    const cases: Array<[string, unknown, string]> = [
      ['an unclosed value filter', patchOp({ op: 'replace', path: 'emails[type eq "work"', value: 'x@acme.example' }), 'invalidPath'],
      ['a schema the resource does not have', patchOp({ op: 'replace', path: 'urn:example:params:scim:schemas:extension:acme:2.0:User:badge', value: '7' }), 'invalidPath'],
      ['remove without a path', patchOp({ op: 'remove' }), 'noTarget'],
      ['replace of an element no value matches', patchOp({ op: 'replace', path: 'emails[type eq "home"]', value: { value: 'ada@home.example' } }), 'noTarget'],
      ['groups, read-only on a User', patchOp({ op: 'add', path: 'groups', value: [{ value: 'grp_01M8T247H71E8T82MXYZ8V2G2J' }] }), 'mutability'],
      ['no Operations', { schemas: [SCHEMA.patchOp] }, 'invalidSyntax'],
      ['an unknown op', patchOp({ op: 'merge', path: 'displayName', value: 'x' }), 'invalidSyntax'],
    ];
    for (const [label, body, scimType] of cases) {
      const res = await scim.patch(`/Users/${ada.id}`, body);
      expect(res.status, label).toBe(400);
      expect(res.body.scimType, label).toBe(scimType);
      expectScimError(res, 400, scimType, label);
    }
    expect((await scim.get(`/Users/${ada.id}`).expect(200)).body.meta.version).toBe('W/"1"');
  });

  it('answers 404 for unknown ids, deleted users and unknown endpoints', async () => {
    const ada = await createUser('ada');
    await scim.delete(`/Users/${ada.id}`).expect(204);
    for (const path of [`/Users/${ada.id}`, '/Users/dsu_01M8T247H71E8T82MXYZ8V2G2J', '/Users/not-even-an-id', '/Groups/grp_01M8T247H71E8T82MXYZ8V2G2J', '/Devices', '/Users/.search']) {
      expectScimError(await scim.get(path), 404, undefined, path);
    }
    expectScimError(await scim.put(`/Users/${ada.id}`, userBody('ada')), 404);
    expectScimError(await scim.patch(`/Users/${ada.id}`, patchOp({ op: 'replace', path: 'active', value: true })), 404);
    expectScimError(await scim.delete('/Groups/grp_01M8T247H71E8T82MXYZ8V2G2J'), 404);
    // Bulk is not supported (ServiceProviderConfig says so).
    expectScimError(await scim.post('/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] }), 404);
  });

  it('answers 401 without a token, with a wrong one and with another scheme, and writes nothing', async () => {
    const before = await scimSnapshot(t);
    const wrongToken = dir.token.slice(0, -4) + (dir.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const authorization of ['', 'Bearer', 'Bearer ', `Bearer ${wrongToken}`, `Basic ${Buffer.from(`scim:${dir.token}`).toString('base64')}`, dir.token, `Bearer ${t.apiKey}`]) {
      const client = scimClient(t, dir, authorization);
      const res = await client.post('/Users', userBody('ada'));
      expectScimError(res, 401, undefined, authorization || '(none)');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="gatehouse-scim"');
      expectScimError(await client.get('/Users'), 401);
    }
    expect(await scimSnapshot(t)).toEqual(before);
  });

  it('honours If-Match (RFC 7644 §3.14): the current version writes, a stale one answers 412 and writes nothing', async () => {
    const ada = await scim.post('/Users', userBody('ada')).expect(201);
    expect(ada.headers.etag).toBe('W/"1"');
    expect((await scim.get(`/Users/${ada.body.id}`).expect(200)).headers.etag).toBe('W/"1"');
    const put = await scim.put(`/Users/${ada.body.id}`, { ...userBody('ada'), title: 'Analyst' }).set('If-Match', 'W/"1"').expect(200);
    expect(put.headers.etag).toBe('W/"2"');
    expectScimError(await scim.put(`/Users/${ada.body.id}`, { ...userBody('ada'), title: 'Engineer' }).set('If-Match', 'W/"1"'), 412);
    expectScimError(await scim.patch(`/Users/${ada.body.id}`, patchOp({ op: 'replace', path: 'title', value: 'Engineer' })).set('If-Match', 'W/"1"'), 412);
    expectScimError(await scim.delete(`/Users/${ada.body.id}`).set('If-Match', 'W/"1"'), 412);
    expect((await scim.get(`/Users/${ada.body.id}`).expect(200)).body).toMatchObject({ title: 'Analyst', meta: { version: 'W/"2"' } });
    await scim.patch(`/Users/${ada.body.id}`, patchOp({ op: 'replace', path: 'title', value: 'Engineer' })).set('If-Match', '*').expect(200);
    await scim.patch(`/Users/${ada.body.id}`, patchOp({ op: 'replace', path: 'title', value: 'Lead' })).set('If-Match', 'W/"1", W/"3"').expect(200);

    const group = await createGroup('Staff');
    expectScimError(await scim.patch(`/Groups/${group.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'x' })).set('If-Match', 'W/"7"'), 412);
    await scim.put(`/Groups/${group.id}`, { displayName: 'Everyone' }).set('If-Match', group.meta.version).expect(200);
    expectScimError(await scim.delete(`/Groups/${group.id}`).set('If-Match', group.meta.version), 412);
  });
});

describe("Gatehouse's rules for directories", () => {
  it('re-creating a deleted userName provisions the same Gatehouse person again, with the membership re-enabled', async () => {
    const first = await createUser('ada');
    const person = await userByEmail(t, 'ada@acme.example');
    await scim.delete(`/Users/${first.id}`).expect(204);
    expect(await membershipOf(t, org, 'ada@acme.example')).toMatchObject({ state: 'disabled', disabled_by: 'directory' });

    const events = eventLog(t, org);
    await events();
    const again = await createUser('ada');
    expect(again.id).not.toBe(first.id);
    expect(await userByEmail(t, 'ada@acme.example')).toMatchObject({ id: person!.id });
    expect(await membershipOf(t, org, 'ada@acme.example')).toMatchObject({ user_id: person!.id, state: 'active', disabled_by: null });
    expect((await events()).map((e) => e.type)).toEqual(['dsync.user.created', 'membership.enabled', 'dsync.user.enabled']);
    expect((await t.api.get(`/api/v1/users?email=ada@acme.example`).expect(200)).body.data).toHaveLength(1);
    expectScimError(await scim.get(`/Users/${first.id}`), 404);
  });

  it("an admin's disable sticks whatever the directory sends (active: true on PUT, PATCH, and a re-create)", async () => {
    const ada = await createUser('ada');
    const membership = await membershipOf(t, org, 'ada@acme.example');
    await t.api.post(`/api/v1/memberships/${membership!.id}/disable`).expect(200);
    const events = eventLog(t, org);
    await events();

    await scim.put(`/Users/${ada.id}`, userBody('ada', { active: false })).expect(200);
    await scim.put(`/Users/${ada.id}`, userBody('ada', { active: true })).expect(200);
    await scim.patch(`/Users/${ada.id}`, patchOp({ op: 'Replace', path: 'active', value: 'True' })).expect(200);
    expect(await membershipOf(t, org, 'ada@acme.example')).toMatchObject({ state: 'disabled', disabled_by: 'admin' });
    expect((await events()).map((e) => e.type)).toEqual(['dsync.user.updated', 'dsync.user.updated', 'dsync.user.updated']);

    await scim.delete(`/Users/${ada.id}`).expect(204);
    await createUser('ada');
    expect(await membershipOf(t, org, 'ada@acme.example')).toMatchObject({ state: 'disabled', disabled_by: 'admin' });
    // Only an admin lifts it.
    await t.api.post(`/api/v1/memberships/${membership!.id}/enable`).expect(200);
    expect(await membershipOf(t, org, 'ada@acme.example')).toMatchObject({ state: 'active', disabled_by: null });
  });

  it('refuses a user whose email is on a domain ANOTHER org verified (400, email_outside_organization_domains), creates nobody, and logs dsync.user.refused', async () => {
    const globex = await createOrg(t, 'Globex');
    await verifyDomain(t, globex, 'globex.example');
    const events = eventLog(t, org);
    await events();
    const usersBefore = await t.app.db.selectFrom('users').select('id').execute();

    const res = await scim.post('/Users', { schemas: [SCHEMA.user], userName: 'spy@globex.example', emails: [{ value: 'spy@globex.example', type: 'work', primary: true }], active: true });
    expectScimError(res, 400, 'invalidValue');
    expect(res.body.detail).toContain('email_outside_organization_domains');
    expect(await userByEmail(t, 'spy@globex.example')).toBeUndefined();
    expect(await t.app.db.selectFrom('users').select('id').execute()).toEqual(usersBefore);
    expect((await scim.get('/Users').expect(200)).body.totalResults).toBe(0);
    expect(await events()).toEqual([
      { type: 'dsync.user.refused', actor: { type: 'directory', id: dir.id }, data: { directory_id: dir.id, user_name: 'spy@globex.example', reason: 'email_outside_organization_domains' } },
    ]);
    // The userName alone (no emails) on that domain is refused the same way.
    expectScimError(await scim.post('/Users', { schemas: [SCHEMA.user], userName: 'ceo@GLOBEX.example' }), 400, 'invalidValue');

    // Moving an existing user onto that domain is refused too, and leaves the person as they were.
    const ada = await createUser('ada');
    await events();
    const moved = await scim.patch(`/Users/${ada.id}`, patchOp({ op: 'replace', path: 'emails[type eq "work"].value', value: 'ceo@globex.example' }));
    expectScimError(moved, 400, 'invalidValue');
    expect(moved.body.detail).toContain('email_outside_organization_domains');
    expect(await userByEmail(t, 'ada@acme.example')).toBeDefined();
    expect((await scim.get(`/Users/${ada.id}`).expect(200)).body.emails).toEqual([{ value: 'ada@acme.example', type: 'work', primary: true }]);
    expect(await events()).toEqual([
      { type: 'dsync.user.refused', actor: { type: 'directory', id: dir.id }, data: { directory_id: dir.id, user_name: 'ada@acme.example', reason: 'email_outside_organization_domains' } },
    ]);
    // Globex's own log has nothing of it.
    expect((await t.api.get(`/api/v1/events?organization_id=${globex}&types=dsync.user.refused`).expect(200)).body.data).toEqual([]);
  });

  it('keeps an attribute it does not know in the raw record and returns it, rather than refusing it', async () => {
    const custom = 'urn:example:params:scim:schemas:extension:acme:2.0:User';
    const ada = await scim
      .post('/Users', { ...userBody('ada'), schemas: [SCHEMA.user, custom], favouriteColour: 'teal', [custom]: { badge: '7', floors: [3, 4] } })
      .expect(201);
    expect(ada.body).toMatchObject({ schemas: [SCHEMA.user, custom], favouriteColour: 'teal', [custom]: { badge: '7', floors: [3, 4] } });
    const row = await t.app.db.selectFrom('scim_users').select('raw').where('id', '=', ada.body.id).executeTakeFirstOrThrow();
    expect(JSON.parse(row.raw)).toMatchObject({ favouriteColour: 'teal', [custom]: { badge: '7', floors: [3, 4] } });
    expect((await scim.get(`/Users/${ada.body.id}`).expect(200)).body).toMatchObject({ favouriteColour: 'teal', [custom]: { badge: '7' } });
    // PUT replaces the whole resource: what is not sent again is gone.
    const put = await scim.put(`/Users/${ada.body.id}`, userBody('ada')).expect(200);
    expect(put.body).not.toHaveProperty('favouriteColour');
  });

  it('honours group memberships sent inside a POST /Users (ids of this directory only)', async () => {
    const staff = await createGroup('Staff');
    const admins = await createGroup('Admins');
    const otherDir = await createDirectory(t, org);
    const foreign = (await scimClient(t, otherDir).post('/Groups', { displayName: 'Foreign' }).expect(201)).body;

    const ada = await createUser('ada', { groups: [{ value: staff.id }, { value: admins.id, display: 'Admins' }, { value: foreign.id }] });
    expect(ada.groups.map((g: { value: string }) => g.value).sort()).toEqual([admins.id, staff.id].sort());
    expect(memberIds((await scim.get(`/Groups/${staff.id}`).expect(200)).body)).toEqual([ada.id]);
    expect(memberIds((await scim.get(`/Groups/${admins.id}`).expect(200)).body)).toEqual([ada.id]);
    expect((await scimClient(t, otherDir).get(`/Groups/${foreign.id}`).expect(200)).body.members).toEqual([]);
  });
});
