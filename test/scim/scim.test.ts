/**
 * The SCIM 2.0 server (RFC 7643/7644) as any client sees it: discovery, media types, lists, errors,
 * and Gatehouse's own rules for what a directory may do to people (the same person on re-create, an
 * admin's disable sticks, emails on another org's verified domains are refused, group mappings).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Directory } from '../../src/db/schema.ts';
import { newId } from '../../src/crypto/ids.ts';
import { createOrg, createSite } from '../helpers/api.ts';
import {
  createDirectory, eventLog, expectScimError, filterQuery, membershipOf, patchOp, SCHEMA, type ScimClient, scimClient, scimSnapshot, type TestDirectory, userByEmail, verifyDomain,
} from '../helpers/scim.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
let org: string;
let dir: TestDirectory;
let scim: ScimClient;

beforeEach(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Acme');
  await verifyDomain(t, org, 'acme.example');
  dir = await createDirectory(t, org);
  scim = scimClient(t, dir);
});
afterEach(async () => t.close());

const userBody = (local: string, extra: Record<string, unknown> = {}) => ({
  schemas: [SCHEMA.user],
  userName: `${local}@acme.example`,
  name: { givenName: local[0]!.toUpperCase() + local.slice(1), familyName: 'Tester' },
  emails: [{ value: `${local}@acme.example`, type: 'work', primary: true }],
  active: true,
  ...extra,
});

async function createUser(local: string, extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
  return (await scim.post('/Users', userBody(local, extra)).expect(201)).body;
}

async function createGroup(displayName: string, members: string[] = []): Promise<Record<string, any>> {
  return (await scim.post('/Groups', { schemas: [SCHEMA.group], displayName, members: members.map((value) => ({ value })) }).expect(201)).body;
}

const memberIds = (group: { members?: Array<{ value: string }> }) => (group.members ?? []).map((m) => m.value);

describe('discovery (RFC 7643 §5-7)', () => {
  it('answers the ServiceProviderConfig: PATCH, filter with maxResults, ETags; no bulk, sort or password change', async () => {
    const res = await scim.get('/ServiceProviderConfig').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
      authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken', primary: true })],
      meta: { resourceType: 'ServiceProviderConfig', location: `${dir.scimBaseUrl}/ServiceProviderConfig` },
    });
  });

  it('answers the ResourceTypes, User with the enterprise extension, each by id', async () => {
    const res = await scim.get('/ResourceTypes').expect(200);
    expect(res.body).toMatchObject({ schemas: [SCHEMA.list], totalResults: 2, itemsPerPage: 2, startIndex: 1 });
    expect(res.body.Resources).toEqual([
      expect.objectContaining({ id: 'User', endpoint: '/Users', schema: SCHEMA.user, schemaExtensions: [{ schema: SCHEMA.enterprise, required: false }], meta: { resourceType: 'ResourceType', location: `${dir.scimBaseUrl}/ResourceTypes/User` } }),
      expect.objectContaining({ id: 'Group', endpoint: '/Groups', schema: SCHEMA.group }),
    ]);
    expect((await scim.get('/ResourceTypes/Group').expect(200)).body).toEqual(res.body.Resources[1]);
    expectScimError(await scim.get('/ResourceTypes/Device'), 404);
  });

  it('answers the Schemas: User, Group and the enterprise User, each by its URN', async () => {
    const res = await scim.get('/Schemas').expect(200);
    expect(res.body).toMatchObject({ schemas: [SCHEMA.list], totalResults: 3, itemsPerPage: 3, startIndex: 1 });
    expect(res.body.Resources.map((s: { id: string }) => s.id)).toEqual([SCHEMA.user, SCHEMA.group, SCHEMA.enterprise]);
    const user = (await scim.get(`/Schemas/${SCHEMA.user}`).expect(200)).body;
    expect(user.attributes.find((a: { name: string }) => a.name === 'userName')).toMatchObject({ type: 'string', required: true, caseExact: false, uniqueness: 'server' });
    expect(user.attributes.find((a: { name: string }) => a.name === 'password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
    expect(user.attributes.find((a: { name: string }) => a.name === 'groups')).toMatchObject({ multiValued: true, mutability: 'readOnly' });
    const enterprise = (await scim.get(`/Schemas/${SCHEMA.enterprise}`).expect(200)).body;
    expect(enterprise).toMatchObject({ id: SCHEMA.enterprise, name: 'EnterpriseUser', meta: { resourceType: 'Schema', location: `${dir.scimBaseUrl}/Schemas/${SCHEMA.enterprise}` } });
    expect(enterprise.attributes.map((a: { name: string }) => a.name)).toEqual(['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager']);
    expect(enterprise.attributes.at(-1).subAttributes.map((a: { name: string }) => a.name)).toEqual(['value', '$ref', 'displayName']);
    expectScimError(await scim.get('/Schemas/urn:ietf:params:scim:schemas:core:2.0:Device'), 404);
  });

  it('needs the token for discovery too', async () => {
    expectScimError(await scimClient(t, dir, '').get('/ServiceProviderConfig'), 401);
    expectScimError(await scimClient(t, dir, '').get('/Schemas'), 401);
  });
});

describe('media types (RFC 7644 §3.1, §8.1)', () => {
  it('answers application/scim+json, for errors too: 201, 200, 204 aside, 400, 401, 404, 409, 412', async () => {
    const created = await scim.post('/Users', userBody('ada')).expect(201);
    expect(created.headers['content-type']).toMatch(/^application\/scim\+json(;|$)/);
    const answers = [
      await scim.get(`/Users/${created.body.id}`),
      await scim.get('/Users'),
      await scim.post('/Users', '{"userName": '),
      await scimClient(t, dir, '').get('/Users'),
      await scim.get('/Users/dsu_01M8T247H71E8T82MXYZ8V2G2J'),
      await scim.get('/Devices'),
      await scim.post('/Users', userBody('ada')),
      await scim.put(`/Users/${created.body.id}`, userBody('ada')).set('If-Match', 'W/"9"'),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 400, 401, 404, 404, 409, 412]);
    for (const res of answers) expect(res.headers['content-type'], `${res.status}`).toMatch(/^application\/scim\+json/);
    expectScimError(answers[2]!, 400, 'invalidSyntax');
    expectScimError(answers[5]!, 404);
    expectScimError(answers[7]!, 412);
  });

  it('accepts request bodies sent as application/json', async () => {
    const created = await t.http.post(`${dir.path}/Users`).set('Authorization', `Bearer ${dir.token}`).set('Content-Type', 'application/json').send(userBody('ada')).expect(201);
    expect(created.body.userName).toBe('ada@acme.example');
    const patched = await t.http
      .patch(`${dir.path}/Users/${created.body.id}`)
      .set('Authorization', `Bearer ${dir.token}`)
      .set('Content-Type', 'application/json')
      .send(patchOp({ op: 'replace', path: 'displayName', value: 'Ada' }))
      .expect(200);
    expect(patched.body.displayName).toBe('Ada');
    expect(patched.headers['content-type']).toMatch(/^application\/scim\+json/);
  });

  it('refuses an over-large body with 413 before anything is written', async () => {
    const before = await scimSnapshot(t);
    const body = JSON.stringify({ ...userBody('ada'), padding: 'x'.repeat(3 * 1024 * 1024) });
    const res = await scim.post('/Users', body);
    expectScimError(res, 413);
    expect(await scimSnapshot(t)).toEqual(before);
    expect((await scim.get('/Users').expect(200)).body.totalResults).toBe(0);
  });
});

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

  it('renames a group JumpCloud-style: PATCH replace without a path, the value echoing id (ignored)', async () => {
    const ada = await createUser('ada');
    const group = await createGroup('Sales', [ada.id]);
    const res = await scim.patch(`/Groups/${group.id}`, patchOp({ op: 'replace', value: { id: group.id, displayName: 'Sales EMEA' } })).expect(200);
    expect(res.body).toMatchObject({ id: group.id, displayName: 'Sales EMEA', members: [{ value: ada.id }] });
    const other = await scim.patch(`/Groups/${group.id}`, patchOp({ op: 'replace', value: { id: 'grp_01M8T247H71E8T82MXYZ8V2G2J', displayName: 'Sales' } })).expect(200);
    expect(other.body.id).toBe(group.id);
    expect((await scim.get(`/Groups?${filterQuery('displayName eq "sales"')}`).expect(200)).body.Resources).toEqual([expect.objectContaining({ id: group.id })]);
  });

  it('empties a group when its last member is removed, in each PATCH form, and by PUT with members: []', async () => {
    const ada = await createUser('ada');
    const group = await createGroup('Solo', [ada.id]);
    const members = async () => memberIds((await scim.get(`/Groups/${group.id}`).expect(200)).body);
    const add = patchOp({ op: 'add', path: 'members', value: [{ value: ada.id }] });
    for (const removal of [
      patchOp({ op: 'remove', path: `members[value eq "${ada.id}"]` }),
      patchOp({ op: 'Remove', path: 'members', value: [{ value: ada.id }] }),
      patchOp({ op: 'remove', path: 'members' }),
      patchOp({ op: 'replace', path: 'members', value: [] }),
    ]) {
      await scim.patch(`/Groups/${group.id}`, add).expect(200);
      expect(await members()).toEqual([ada.id]);
      await scim.patch(`/Groups/${group.id}`, removal).expect(200);
      expect(await members(), JSON.stringify(removal.Operations)).toEqual([]);
      expect((await scim.get(`/Users/${ada.id}`).expect(200)).body.groups).toEqual([]);
    }
    await scim.patch(`/Groups/${group.id}`, add).expect(200);
    await scim.put(`/Groups/${group.id}`, { displayName: 'Solo', members: [] }).expect(200);
    expect(await members()).toEqual([]);
  });

  it('patches a group of 2,000 members by adding 500 and removing 500 in one request', async () => {
    const directory = await t.app.db.selectFrom('directories').selectAll().where('id', '=', dir.id).executeTakeFirstOrThrow();
    const ids = await seedScimUsers(t, directory, 2500);
    const group = await scim
      .post('/Groups', { schemas: [SCHEMA.group], displayName: 'Everyone', members: ids.slice(0, 2000).map((value) => ({ value })) })
      .expect(201);
    expect(group.body.members).toHaveLength(2000);
    const events = eventLog(t, org);
    await events();

    const removed = ids.slice(0, 500);
    const added = ids.slice(2000);
    const res = await scim
      .patch(`/Groups/${group.body.id}?excludedAttributes=members`, patchOp(
        ...removed.map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })),
        { op: 'add', path: 'members', value: added.map((value) => ({ value })) },
      ))
      .expect(200);
    expect(res.body).not.toHaveProperty('members');
    const after = (await scim.get(`/Groups/${group.body.id}`).expect(200)).body;
    expect(after.members).toHaveLength(2000);
    expect(new Set(memberIds(after))).toEqual(new Set(ids.slice(500)));
    expect(await events()).toEqual([
      { type: 'dsync.group.updated', actor: { type: 'directory', id: dir.id }, data: { directory_id: dir.id, group_id: group.body.id, display_name: 'Everyone', members_added: 500, members_removed: 500 } },
    ]);
    const check = await scim.get(`/Groups?excludedAttributes=members&${filterQuery(`members[value eq "${ids[0]}"]`)}`).expect(200);
    expect(check.body.totalResults).toBe(0);
  });
});

/**
 * Seeds `count` provisioned people of the directory in bulk, straight into the tables (person, active
 * membership, SCIM user and email), as POST /Users leaves them. The service path is what every other
 * test drives; this one is about the PATCH, and 2,500 POSTs would only make it slow.
 */
async function seedScimUsers(t: TestApp, directory: Directory, count: number): Promise<string[]> {
  const now = t.clock.now().toISOString();
  const people = Array.from({ length: count }, (_, i) => {
    const email = `person${String(i).padStart(4, '0')}@acme.example`;
    return { email, userId: newId('user'), scimId: newId('dsu') };
  });
  await t.app.uow(async (trx) => {
    for (let i = 0; i < people.length; i += 200) {
      const chunk = people.slice(i, i + 200);
      await trx.insertInto('users').values(chunk.map((p) => ({ id: p.userId, email: p.email, email_verified: 0, first_name: null, last_name: null, password_hash: null, password_set_at: null, created_at: now, updated_at: now }))).execute();
      await trx
        .insertInto('memberships')
        .values(chunk.map((p) => ({ id: newId('mem'), organization_id: directory.organization_id, user_id: p.userId, role: 'member' as const, state: 'active' as const, disabled_by: null, disabled_at: null, source: 'directory' as const, role_source: 'manual' as const, created_at: now, updated_at: now })))
        .execute();
      await trx
        .insertInto('scim_users')
        .values(chunk.map((p) => ({ id: p.scimId, directory_id: directory.id, user_id: p.userId, user_name: p.email, user_name_key: p.email, external_id: null, active: 1, given_name: null, family_name: null, display_name: null, raw: JSON.stringify({ schemas: [SCHEMA.user], userName: p.email, emails: [{ value: p.email, primary: true }] }), version: 1, deleted_at: null, created_at: now, updated_at: now })))
        .execute();
      await trx.insertInto('scim_user_emails').values(chunk.map((p) => ({ scim_user_id: p.scimId, position: 0, value: p.email, value_key: p.email, type: null, primary: 1 }))).execute();
    }
  });
  return people.map((p) => p.scimId);
}

describe('group mappings (PUT /api/v1/directories/:id/group_mappings)', () => {
  it('maps a group to the admin role and a group to a site with a site role; applied on joining, undone on leaving; a manual site assignment stays', async () => {
    const hq = await createSite(t, org, 'HQ');
    const lab = await createSite(t, org, 'Lab');
    const ada = await createUser('ada');
    const person = (await userByEmail(t, 'ada@acme.example'))!;
    const admins = await createGroup('Gatehouse Admins');
    const hqEditors = await createGroup('HQ editors');
    const events = eventLog(t, org);
    await events();

    const mappings = [
      { group: 'gatehouse admins', org_role: 'admin' },
      { group: hqEditors.id, sites: [{ site_id: hq, role: 'admin' }] },
      { group: 'Lab people', sites: [{ site_id: lab, role: 'member' }] },
    ];
    const put = await t.api.put(`/api/v1/directories/${dir.id}/group_mappings`, { data: mappings }).expect(200);
    expect(put.body).toEqual({ data: [{ ...mappings[0], sites: [] }, { ...mappings[1], org_role: null }, { ...mappings[2], org_role: null }] });
    expect((await t.api.get(`/api/v1/directories/${dir.id}/group_mappings`).expect(200)).body).toEqual(put.body);
    expect(await events()).toEqual([{ type: 'directory.group_mappings_updated', actor: { type: 'api_key', id: expect.any(String) }, data: { directory_id: dir.id, mappings: 3 } }]);

    // A manual assignment to the Lab, before any mapping touches it.
    await t.api.put(`/api/v1/sites/${lab}/assignments/${person.id}`, { role: 'admin' }).expect(200);
    await events();
    const sites = async () => (await t.api.get(`/api/v1/users/${person.id}/site_assignments?organization_id=${org}`).expect(200)).body.data.map((a: Record<string, string>) => [a.site_name, a.role, a.source]);

    // Joining the admins group (matched by name, case-insensitively) makes Ada an org admin.
    await scim.patch(`/Groups/${admins.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: ada.id }] })).expect(200);
    expect(await membershipOf(t, org, 'ada@acme.example')).toMatchObject({ role: 'admin' });
    expect(await events()).toEqual([
      expect.objectContaining({ type: 'dsync.group.updated' }),
      { type: 'membership.updated', actor: { type: 'directory', id: dir.id }, data: expect.objectContaining({ user_id: person.id, role: 'admin', previous_role: 'member' }) },
    ]);

    // Joining the HQ editors group (matched by id) puts her on HQ as a site admin.
    await scim.patch(`/Groups/${hqEditors.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: ada.id }] })).expect(200);
    expect(await sites()).toEqual(expect.arrayContaining([['HQ', 'admin', 'group_mapping'], ['Lab', 'admin', 'manual']]));
    expect(await events()).toEqual([
      expect.objectContaining({ type: 'dsync.group.updated' }),
      { type: 'site_assignment.created', actor: { type: 'directory', id: dir.id }, data: { site_id: hq, user_id: person.id, role: 'admin' } },
    ]);

    // A group named like a mapping, joined: the manual Lab assignment is not overwritten.
    const lab1 = await createGroup('Lab people', [ada.id]);
    expect(await sites()).toEqual(expect.arrayContaining([['Lab', 'admin', 'manual']]));
    expect((await events()).map((e) => e.type)).toEqual(['dsync.group.created']);

    // Leaving undoes what the mappings did, and only that.
    await scim.patch(`/Groups/${admins.id}`, patchOp({ op: 'remove', path: `members[value eq "${ada.id}"]` })).expect(200);
    await scim.patch(`/Groups/${hqEditors.id}`, patchOp({ op: 'remove', path: `members[value eq "${ada.id}"]` })).expect(200);
    await scim.delete(`/Groups/${lab1.id}`).expect(204);
    expect(await membershipOf(t, org, 'ada@acme.example')).toMatchObject({ role: 'member' });
    expect(await sites()).toEqual([['Lab', 'admin', 'manual']]);
    expect((await events()).map((e) => e.type)).toEqual([
      'dsync.group.updated', 'membership.updated',
      'dsync.group.updated', 'site_assignment.deleted',
      'dsync.group.deleted',
    ]);
  });

  it('applies new mappings to the people already in the groups, and leaves a role an admin set by hand', async () => {
    const ada = await createUser('ada');
    const bob = await createUser('bob');
    await createGroup('Admins', [ada.id, bob.id]);
    const bobMembership = (await membershipOf(t, org, 'bob@acme.example'))!;
    await t.api.patch(`/api/v1/memberships/${bobMembership.id}`, { role: 'admin' }).expect(200);

    await t.api.put(`/api/v1/directories/${dir.id}/group_mappings`, { data: [{ group: 'Admins', org_role: 'admin' }] }).expect(200);
    expect(await membershipOf(t, org, 'ada@acme.example')).toMatchObject({ role: 'admin' });
    // Removing the mapping takes back what the mapping gave, not what the admin gave.
    await t.api.put(`/api/v1/directories/${dir.id}/group_mappings`, { data: [] }).expect(200);
    expect(await membershipOf(t, org, 'ada@acme.example')).toMatchObject({ role: 'member' });
    expect(await membershipOf(t, org, 'bob@acme.example')).toMatchObject({ role: 'admin' });
  });

  it("refuses a mapping to another org's site or to an unknown site role, and writes nothing", async () => {
    const globex = await createOrg(t, 'Globex');
    const theirs = await createSite(t, globex, 'Globex HQ');
    const ours = await createSite(t, org, 'HQ');
    const before = await scimSnapshot(t);
    const foreign = await t.api.put(`/api/v1/directories/${dir.id}/group_mappings`, { data: [{ group: 'x', sites: [{ site_id: theirs, role: 'admin' }] }] });
    expect(foreign.status).toBe(422);
    expect(foreign.body.errors).toEqual([expect.objectContaining({ field: '0.sites.0.site_id', code: 'unknown_site' })]);
    const role = await t.api.put(`/api/v1/directories/${dir.id}/group_mappings`, { data: [{ group: 'x', sites: [{ site_id: ours, role: 'owner' }] }] });
    expect(role.status).toBe(422);
    expect(role.body.errors).toEqual([expect.objectContaining({ field: '0.sites.0.role', code: 'invalid_site_role' })]);
    expect(await scimSnapshot(t)).toEqual(before);
    expect((await t.api.get(`/api/v1/directories/${dir.id}/group_mappings`).expect(200)).body).toEqual({ data: [] });
  });
});
