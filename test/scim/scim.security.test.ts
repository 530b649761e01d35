/**
 * Attacks on the SCIM server, one test each. Two directories of two orgs (A: Acme, B: Globex), each
 * with a user and a group; every refused request must leave both untouched.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrg, seedMember } from '../helpers/api.ts';
import {
  createDirectory, eventLog, expectScimError, filterQuery, patchOp, SCHEMA, type ScimClient, scimClient, scimSnapshot, type TestDirectory, verifyDomain,
} from '../helpers/scim.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

describe('SCIM security', () => {
  let t: TestApp;
  let a: TestDirectory;
  let b: TestDirectory;
  let scimA: ScimClient;
  let scimB: ScimClient;
  let userA: Record<string, any>;
  let userB: Record<string, any>;
  let groupA: Record<string, any>;
  let groupB: Record<string, any>;

  const user = (email: string, extra: Record<string, unknown> = {}) => ({ schemas: [SCHEMA.user], userName: email, emails: [{ value: email, type: 'work', primary: true }], name: { givenName: 'G', familyName: 'F' }, active: true, ...extra });

  beforeEach(async () => {
    t = await createTestApp();
    const acme = await createOrg(t, 'Acme');
    const globex = await createOrg(t, 'Globex');
    await verifyDomain(t, acme, 'acme.example');
    await verifyDomain(t, globex, 'globex.example');
    a = await createDirectory(t, acme, 'okta');
    b = await createDirectory(t, globex, 'entra');
    scimA = scimClient(t, a);
    scimB = scimClient(t, b);
    userA = (await scimA.post('/Users', user('ada@acme.example')).expect(201)).body;
    userB = (await scimB.post('/Users', user('gus@globex.example')).expect(201)).body;
    groupA = (await scimA.post('/Groups', { schemas: [SCHEMA.group], displayName: 'Staff', members: [{ value: userA.id }] }).expect(201)).body;
    groupB = (await scimB.post('/Groups', { schemas: [SCHEMA.group], displayName: 'Staff', members: [{ value: userB.id }] }).expect(201)).body;
  });
  afterEach(async () => t.close());

  it("refuses directory A's token on directory B's URL (401), for every method, and writes nothing", async () => {
    const before = await scimSnapshot(t);
    const aOnB = scimClient(t, { path: b.path, token: a.token });
    const answers = [
      await aOnB.get('/Users'),
      await aOnB.get(`/Users/${userB.id}`),
      await aOnB.get(`/Groups/${groupB.id}`),
      await aOnB.get('/ServiceProviderConfig'),
      await aOnB.post('/Users', user('mole@globex.example')),
      await aOnB.put(`/Users/${userB.id}`, user('gus@globex.example', { active: false })),
      await aOnB.patch(`/Users/${userB.id}`, patchOp({ op: 'replace', path: 'active', value: false })),
      await aOnB.patch(`/Groups/${groupB.id}`, patchOp({ op: 'remove', path: 'members' })),
      await aOnB.delete(`/Users/${userB.id}`),
      await aOnB.delete(`/Groups/${groupB.id}`),
    ];
    for (const [i, res] of answers.entries()) expectScimError(res, 401, undefined, `request ${i}`);
    expect(await scimSnapshot(t)).toEqual(before);
  });

  it("never lists or finds directory B's users and groups through A, by list, filter or membership filter", async () => {
    const users = await scimA.get('/Users?count=200').expect(200);
    expect(users.body).toMatchObject({ totalResults: 1, Resources: [{ id: userA.id }] });
    const groups = await scimA.get('/Groups').expect(200);
    expect(groups.body).toMatchObject({ totalResults: 1, Resources: [{ id: groupA.id }] });
    for (const filter of [`id eq "${userB.id}"`, 'userName eq "gus@globex.example"', 'emails.value co "globex"', `id eq "${userB.id}" or id pr`]) {
      const res = await scimA.get(`/Users?${filterQuery(filter)}`).expect(200);
      expect(res.body.Resources.map((r: { id: string }) => r.id), filter).not.toContain(userB.id);
    }
    for (const filter of [`id eq "${groupB.id}"`, `members[value eq "${userB.id}"]`, 'displayName eq "Staff"']) {
      const res = await scimA.get(`/Groups?${filterQuery(filter)}`).expect(200);
      expect(res.body.Resources.map((r: { id: string }) => r.id), filter).not.toContain(groupB.id);
    }
  });

  it("answers 404 for B's user and group ids requested through A's URL with A's token, and leaves them untouched", async () => {
    const before = await scimSnapshot(t);
    for (const [i, res] of [
      await scimA.get(`/Users/${userB.id}`),
      await scimA.put(`/Users/${userB.id}`, user('gus@globex.example', { active: false })),
      await scimA.patch(`/Users/${userB.id}`, patchOp({ op: 'replace', path: 'active', value: false })),
      await scimA.delete(`/Users/${userB.id}`),
      await scimA.get(`/Groups/${groupB.id}`),
      await scimA.put(`/Groups/${groupB.id}`, { displayName: 'Owned', members: [] }),
      await scimA.patch(`/Groups/${groupB.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: userA.id }] })),
      await scimA.delete(`/Groups/${groupB.id}`),
    ].entries()) {
      expectScimError(res, 404, undefined, `request ${i}`);
    }
    expect(await scimSnapshot(t)).toEqual(before);
    expect((await scimB.get(`/Users/${userB.id}`).expect(200)).body).toMatchObject({ active: true, groups: [{ value: groupB.id }] });
  });

  it("refuses B's user as a member of A's group, and ignores B's group sent inside a user of A", async () => {
    expectScimError(await scimA.patch(`/Groups/${groupA.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: userB.id }] })), 400, 'invalidValue');
    expectScimError(await scimA.put(`/Groups/${groupA.id}`, { displayName: 'Staff', members: [{ value: userA.id }, { value: userB.id }] }), 400, 'invalidValue');
    expectScimError(await scimA.post('/Groups', { displayName: 'Trojan', members: [{ value: userB.id }] }), 400, 'invalidValue');
    const bob = await scimA.post('/Users', user('bob@acme.example', { groups: [{ value: groupB.id }, { value: groupA.id }] })).expect(201);
    expect(bob.body.groups).toEqual([expect.objectContaining({ value: groupA.id })]);
    expect((await scimB.get(`/Groups/${groupB.id}`).expect(200)).body.members).toEqual([expect.objectContaining({ value: userB.id })]);
  });

  it('treats a filter full of quotes, backslashes and SQL keywords as data: it matches exactly what it says, or is refused', async () => {
    const tricky = [`Robert'); DROP TABLE scim_users;--`, 'back\\slash "quoted"', '100%_sure'];
    const ids: string[] = [];
    for (const [i, userName] of tricky.entries()) ids.push((await scimA.post('/Users', { schemas: [SCHEMA.user], userName, emails: [{ value: `tricky${i}@acme.example`, primary: true }] }).expect(201)).body.id);
    const found = async (filter: string) => (await scimA.get(`/Users?${filterQuery(filter)}`).expect(200)).body.Resources.map((r: { id: string }) => r.id);

    // Each name, written as a SCIM (JSON) string, finds its user and only that one.
    for (const [i, userName] of tricky.entries()) expect(await found(`userName eq ${JSON.stringify(userName)}`), userName).toEqual([ids[i]]);
    // Quotes and SQL in a value are a value that matches nobody.
    for (const filter of [`userName eq "x\\" or \\"1\\"=\\"1"`, `userName eq "a' OR '1'='1"`, `userName eq "' OR 1=1 --"`, `userName eq "\\\\"`, `userName eq "*"`, `externalId eq "') UNION SELECT password_hash FROM users --"`]) {
      expect(await found(filter), filter).toEqual([]);
    }
    // LIKE wildcards in co/sw/ew are literal characters.
    expect(await found('userName co "%"')).toEqual([ids[2]]);
    expect(await found('userName sw "_"')).toEqual([]);
    expect(await found('userName co "%_"')).toEqual([ids[2]]);
    expect(await found('userName ew "\\"quoted\\""')).toEqual([ids[1]]);
    // SQL outside a string is not a filter.
    for (const filter of ['userName eq "x" or 1=1', 'userName eq "x"; DROP TABLE scim_users', 'userName eq "x" UNION SELECT * FROM users', "userName eq 'x'", 'userName eq "x" --', '1 eq 1']) {
      expectScimError(await scimA.get(`/Users?${filterQuery(filter)}`), 400, 'invalidFilter', filter);
    }
    expect((await scimA.get('/Users').expect(200)).body.totalResults).toBe(4);
    expect((await scimB.get('/Users').expect(200)).body.totalResults).toBe(1);
  });

  it('never lets an upper-case or odd spelling of the path skip the token check', async () => {
    const spellings = [
      `/SCIM/V2/${a.id}/USERS`,
      `/Scim/v2/${a.id}/Users`,
      `/scim/V2/${a.id}/users/${userA.id}`,
      `/SCIM/v2/${a.id}/Groups/${groupA.id}`,
      `/scim/v2/${a.id}/Users/`,
      `/scim/v2/${a.id}//Users`,
      `/scim/v2/${a.id}/%55sers`,
      `/scim/v2/${a.id.toUpperCase()}/Users`,
    ];
    for (const path of spellings) {
      for (const authorization of [undefined, 'Bearer nope', `Bearer ${b.token}`]) {
        const req = t.http.get(path);
        const res = await (authorization ? req.set('Authorization', authorization) : req);
        expectScimError(res, 401, undefined, `${path} ${authorization ?? '(no token)'}`);
      }
    }
    // With A's own token the same spellings reach A's data (routes match case-insensitively), so the
    // check has to cover every spelling; another directory's id spelled in upper case is not A's.
    expect((await t.http.get(`/SCIM/V2/${a.id}/USERS`).set('Authorization', `Bearer ${a.token}`).expect(200)).body.Resources).toEqual([expect.objectContaining({ id: userA.id })]);
    expectScimError(await t.http.get(`/SCIM/V2/${b.id}/USERS`).set('Authorization', `Bearer ${a.token}`), 401);
    expectScimError(await t.http.get(`/scim/v2/${a.id.toUpperCase()}/Users`).set('Authorization', `Bearer ${a.token}`), 401);
    // A path that only looks like SCIM to a human is not served by SCIM, and answers no data.
    for (const path of [`/scim/%76%32/${a.id}/Users`, `/scim/v2%2F${a.id}/Users`, `/%73cim/v2/${a.id}/Users`]) {
      const res = await t.http.get(path).set('Authorization', `Bearer ${a.token}`);
      expect([401, 404], path).toContain(res.status);
      expect(JSON.stringify(res.body ?? ''), path).not.toContain(userA.id);
    }
  });

  it('refuses a rotated (revoked) token at once, and accepts the new one', async () => {
    const old = a.token;
    const rotated = await t.api.post(`/api/v1/directories/${a.id}/token`).expect(200);
    const fresh = rotated.body.bearer_token as string;
    expect(fresh).not.toBe(old);
    expectScimError(await scimClient(t, { path: a.path, token: old }).get('/Users'), 401);
    expectScimError(await scimClient(t, { path: a.path, token: old }).post('/Users', user('late@acme.example')), 401);
    await scimClient(t, { path: a.path, token: fresh }).get('/Users').expect(200);
    // Rotating B's token changes nothing for A.
    await t.api.post(`/api/v1/directories/${b.id}/token`).expect(200);
    await scimClient(t, { path: a.path, token: fresh }).get('/Users').expect(200);
    expectScimError(await scimB.get('/Users'), 401);
  });

  it("refuses a deleted directory's token", async () => {
    await t.api.delete(`/api/v1/directories/${a.id}`).expect(204);
    expectScimError(await scimA.get('/Users'), 401);
    expectScimError(await scimA.post('/Users', user('late@acme.example')), 401);
  });

  it('refuses the JWT Entra sends when its Secret Token is left blank (no Gatehouse token)', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = { aud: '8adf8e6e-67b2-4cf2-a259-e3dc5476c621', iss: 'https://sts.windows.net/aaaabbbb-0000-cccc-1111-dddd2222eeee/', iat: 1796115600, nbf: 1796115600, exp: 1796119200, appid: '00000014-0000-0000-c000-000000000000', tid: 'aaaabbbb-0000-cccc-1111-dddd2222eeee' };
    const jwts = [
      `${b64({ typ: 'JWT', alg: 'RS256', x5t: 'nOo3ZDrODXEK1jKWhXslHR_KXEg', kid: 'nOo3ZDrODXEK1jKWhXslHR_KXEg' })}.${b64(claims)}.${Buffer.from('not-a-signature').toString('base64url')}`,
      `${b64({ typ: 'JWT', alg: 'none' })}.${b64(claims)}.`,
      // A JWT whose payload names the directory is no better.
      `${b64({ alg: 'HS256' })}.${b64({ ...claims, sub: a.id, directory_id: a.id })}.c2lnbmF0dXJl`,
    ];
    const before = await scimSnapshot(t);
    for (const jwt of jwts) {
      const client = scimClient(t, a, `Bearer ${jwt}`);
      expectScimError(await client.get(`/Users?${filterQuery('userName eq "7d2f0f8e-4b1c-4c1e-9a8e-3f4b5c6d7e8f"')}`), 401);
      expectScimError(await client.post('/Users', user('jwt@acme.example')), 401);
    }
    expect(await scimSnapshot(t)).toEqual(before);
  });

  it('ignores id and meta sent in a POST or PUT body (mass assignment), and refuses them in a PATCH', async () => {
    const forged = { id: userB.id, meta: { resourceType: 'Group', created: '1999-01-01T00:00:00Z', lastModified: '1999-01-01T00:00:00Z', location: 'https://evil.example/Users/x', version: 'W/"999"' } };
    const created = await scimA.post('/Users', user('eve@acme.example', forged)).expect(201);
    expect(created.body.id).toMatch(/^dsu_/);
    expect(created.body.id).not.toBe(userB.id);
    expect(created.body.meta).toEqual({ resourceType: 'User', created: '2026-12-01T09:00:00.000Z', lastModified: '2026-12-01T09:00:00.000Z', location: `${a.scimBaseUrl}/Users/${created.body.id}`, version: 'W/"1"' });
    expect(created.headers.location).toBe(`${a.scimBaseUrl}/Users/${created.body.id}`);
    const raw = await t.app.db.selectFrom('scim_users').select('raw').where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(JSON.parse(raw.raw)).not.toHaveProperty('id');
    expect(JSON.parse(raw.raw)).not.toHaveProperty('meta');

    // PUT with another user's id in the body changes the user of the URL only.
    const bBefore = (await scimB.get(`/Users/${userB.id}`).expect(200)).body;
    const put = await scimA.put(`/Users/${userA.id}`, user('ada@acme.example', { ...forged, id: created.body.id, title: 'Analyst' })).expect(200);
    expect(put.body).toMatchObject({ id: userA.id, title: 'Analyst', meta: { resourceType: 'User', version: 'W/"2"', location: `${a.scimBaseUrl}/Users/${userA.id}` } });
    expect((await scimA.get(`/Users/${created.body.id}`).expect(200)).body).not.toHaveProperty('title');
    expect((await scimB.get(`/Users/${userB.id}`).expect(200)).body).toEqual(bBefore);

    // Groups: the same for POST and PUT.
    const group = await scimA.post('/Groups', { displayName: 'Forged', ...forged, id: groupB.id }).expect(201);
    expect(group.body.id).not.toBe(groupB.id);
    expect(group.body.meta).toMatchObject({ resourceType: 'Group', version: 'W/"1"', created: '2026-12-01T09:00:00.000Z' });
    const groupPut = await scimA.put(`/Groups/${groupA.id}`, { displayName: 'Staff', members: [{ value: userA.id }], ...forged, id: groupB.id }).expect(200);
    expect(groupPut.body).toMatchObject({ id: groupA.id, meta: { version: 'W/"2"' } });
    expect((await scimB.get(`/Groups/${groupB.id}`).expect(200)).body.meta.version).toBe('W/"1"');

    // PATCH naming id or meta is refused (mutability); a no-path value object just drops them.
    expectScimError(await scimA.patch(`/Users/${userA.id}`, patchOp({ op: 'replace', path: 'id', value: userB.id })), 400, 'mutability');
    expectScimError(await scimA.patch(`/Users/${userA.id}`, patchOp({ op: 'replace', path: 'meta.version', value: 'W/"999"' })), 400, 'mutability');
    const noPath = await scimA.patch(`/Users/${userA.id}`, patchOp({ op: 'replace', value: { id: userB.id, meta: forged.meta, title: 'Lead' } })).expect(200);
    expect(noPath.body).toMatchObject({ id: userA.id, title: 'Lead', meta: { resourceType: 'User', version: 'W/"3"' } });
  });

  it("never moves a person who also belongs to another org to an address the directory controls (email takeover)", async () => {
    // Bob is Globex's admin, on a domain nobody verified; Acme's directory provisions the same address.
    const globex = (await t.api.get('/api/v1/organizations?limit=100').expect(200)).body.data.find((o: { name: string }) => o.name === 'Globex').id as string;
    const bob = await seedMember(t, globex, { email: 'bob@shared.example', first_name: 'Bob', last_name: 'Builder' }, { role: 'admin' });
    const claimed = await scimA.post('/Users', user('bob@shared.example')).expect(201);
    expect((await t.api.get('/api/v1/users?email=bob@shared.example').expect(200)).body.data).toEqual([expect.objectContaining({ id: bob.userId })]);

    const log = eventLog(t, a.organizationId);
    await log();
    for (const res of [
      await scimA.patch(`/Users/${claimed.body.id}`, patchOp({ op: 'replace', path: 'emails[type eq "work"].value', value: 'mallory@evil.example' })),
      await scimA.put(`/Users/${claimed.body.id}`, user('bob@shared.example', { emails: [{ value: 'mallory@evil.example', primary: true }] })),
      await scimA.put(`/Users/${claimed.body.id}`, { schemas: [SCHEMA.user], userName: 'mallory@evil.example' }),
    ]) {
      expectScimError(res, 400, 'mutability');
      expect(res.body.detail).toContain('email_shared_with_other_organizations');
    }
    expect((await t.api.get(`/api/v1/users/${bob.userId}`).expect(200)).body).toMatchObject({ email: 'bob@shared.example' });
    expect((await t.api.get('/api/v1/users?email=mallory@evil.example').expect(200)).body.data).toEqual([]);
    expect((await log()).map((e) => [e.type, e.data.reason])).toEqual([
      ['dsync.user.refused', 'email_shared_with_other_organizations'],
      ['dsync.user.refused', 'email_shared_with_other_organizations'],
      ['dsync.user.refused', 'email_shared_with_other_organizations'],
    ]);
    // The rest of the record still syncs.
    await scimA.patch(`/Users/${claimed.body.id}`, patchOp({ op: 'replace', path: 'title', value: 'Contractor' })).expect(200);
    // But the shared person's profile is not Acme's directory to rewrite: the name Globex sees stays.
    await scimA.patch(`/Users/${claimed.body.id}`, patchOp({ op: 'replace', path: 'name.givenName', value: 'Mallory' })).expect(200);
    expect((await t.api.get(`/api/v1/users/${bob.userId}`).expect(200)).body).toMatchObject({ first_name: 'Bob', last_name: 'Builder' });
  });

  it('refuses a __proto__ key in a body (400 invalidSyntax) and takes constructor.prototype as data, never as the prototype', async () => {
    const before = await scimSnapshot(t);
    const proto = await scimA.post('/Users', `{"schemas":["${SCHEMA.user}"],"userName":"proto@acme.example","__proto__":{"polluted":true,"active":false}}`);
    expectScimError(proto, 400, 'invalidSyntax');
    expect(await scimSnapshot(t)).toEqual(before);
    const res = await scimA.post('/Users', `{"schemas":["${SCHEMA.user}"],"userName":"ctor@acme.example","constructor":{"prototype":{"polluted":true}}}`).expect(201);
    expect(res.body).toMatchObject({ active: true, constructor: { prototype: { polluted: true } } });
    expectScimError(await scimA.patch(`/Users/${res.body.id}`, `{"schemas":["${SCHEMA.patchOp}"],"Operations":[{"op":"add","path":"name","value":{"__proto__":{"polluted":true}}}]}`), 400, 'invalidSyntax');
    await scimA.patch(`/Users/${res.body.id}`, patchOp({ op: 'add', path: 'constructor.prototype.polluted', value: true }));
    await scimA.patch(`/Users/${res.body.id}`, patchOp({ op: 'add', path: 'toString', value: 'x' }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(typeof ({}).toString).toBe('function');
    expect((await scimA.get(`/Users/${res.body.id}`).expect(200)).body.id).toBe(res.body.id);
  });
});
