/**
 * Okta's SCIM 2.0 client, request by request, as Okta documents it ("Okta and SCIM Version 2.0",
 * developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/, and the Runscope "Okta SCIM 2.0 SPEC
 * Test" / "CRUD Test" suites). Tests are titled by Okta's test names where the suite has one, else by
 * the reference's section. One Okta app integration (App Integration Wizard: PUT for every user update,
 * PUT for groups) provisions one org, in order; after each request the Gatehouse side is checked through
 * the management API and the activity log. The OIN (catalogue) variants that send PATCH come last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg } from '../helpers/api.ts';
import {
  createDirectory, eventLog, expectScimError, filterQuery, type LoggedEvent, membershipOf, SCHEMA, type ScimClient, scimClient, type TestDirectory, userByEmail, verifyDomain,
} from '../helpers/scim.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const NOW = '2026-12-01T09:00:00.000Z';

describe('Okta SCIM 2.0 (App Integration Wizard app, then OIN PATCH forms)', () => {
  let t: TestApp;
  let org: string;
  let dir: TestDirectory;
  let okta: ScimClient;
  let newEvents: () => Promise<LoggedEvent[]>;
  /** The SCIM id Gatehouse gave the user Okta created, and the Gatehouse person behind it. */
  let userId: string;
  let personId: string;
  let secondId: string;
  let groupId: string;
  /** The user resource as Okta last read it (Okta PUTs back what it read, with its changes). */
  let lastRead: Record<string, any>;

  const userName = 'test.user@acme.example';
  const actor = () => ({ type: 'directory', id: dir.id });
  const dsync = () => ({ directory_id: dir.id, scim_user_id: userId, user_id: personId, user_name: userName });

  beforeAll(async () => {
    t = await createTestApp();
    org = await createOrg(t, 'Acme');
    await verifyDomain(t, org, 'acme.example');
    dir = await createDirectory(t, org, 'okta');
    okta = scimClient(t, dir);
    newEvents = eventLog(t, org);
    await newEvents();
  });
  afterAll(async () => t.close());

  it('Required Test: Test invalid User by username (existence check before create: GET /Users?filter=userName eq "…"&startIndex=1&count=100)', async () => {
    const res = await okta.get(`/Users?${filterQuery(`userName eq "${userName}"`)}&startIndex=1&count=100`).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body).toEqual({ schemas: [SCHEMA.list], totalResults: 0, itemsPerPage: 0, startIndex: 1, Resources: [] });
    // A read writes nothing to the activity log, and no person exists yet.
    expect(await newEvents()).toEqual([]);
    expect(await userByEmail(t, userName)).toBeUndefined();
  });

  it('Required Test: Create Okta user with realistic values (POST /Users with password, groups: [], locale, externalId)', async () => {
    const body = {
      schemas: [SCHEMA.user],
      userName,
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: '1mz050nq',
      active: true,
    };
    const res = await okta.post('/Users', body).expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    userId = res.body.id;
    expect(userId).toMatch(/^dsu_[0-9A-HJKMNP-TV-Z]{26}$/);
    const location = `${dir.scimBaseUrl}/Users/${userId}`;
    expect(res.headers.location).toBe(location);
    expect(res.headers.etag).toBe('W/"1"');
    // Okta's throw-away password is neither returned nor stored.
    expect(res.body).toEqual({
      schemas: [SCHEMA.user],
      id: userId,
      userName,
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
      groups: [],
      meta: { resourceType: 'User', created: NOW, lastModified: NOW, location, version: 'W/"1"' },
    });
    const raw = await t.app.db.selectFrom('scim_users').select('raw').where('id', '=', userId).executeTakeFirstOrThrow();
    expect(raw.raw).not.toContain('1mz050nq');

    const person = await userByEmail(t, userName);
    expect(person).toMatchObject({ email: userName, first_name: 'Test', last_name: 'User', name: 'Test User' });
    personId = person!.id;
    const stored = await t.app.db.selectFrom('users').select('password_hash').where('id', '=', personId).executeTakeFirstOrThrow();
    expect(stored.password_hash).toBeNull();
    expect(await membershipOf(t, org, userName)).toMatchObject({ user_id: personId, role: 'member', state: 'active', disabled_by: null, source: 'directory' });
    expect(await newEvents()).toEqual([
      { type: 'membership.created', actor: actor(), data: expect.objectContaining({ user_id: personId, role: 'member', source: 'directory' }) },
      { type: 'dsync.user.created', actor: actor(), data: dsync() },
    ]);
  });

  it('Required Test: Verify that user was created (GET /Users/{id})', async () => {
    const res = await okta.get(`/Users/${userId}`).expect(200);
    expect(res.body).toMatchObject({ id: userId, userName, name: { givenName: 'Test', familyName: 'User' }, active: true, emails: [{ value: userName }] });
    expect(res.body).not.toHaveProperty('password');
    lastRead = res.body;
  });

  it('Required Test: Expect failure when recreating user with same values (409 uniqueness)', async () => {
    const res = await okta
      .post('/Users', { schemas: [SCHEMA.user], userName, name: { givenName: 'Test', familyName: 'User' }, emails: [{ primary: true, value: userName, type: 'work' }], displayName: 'Test User', active: true })
      .expect(409);
    expectScimError(res, 409, 'uniqueness');
    expect(await newEvents()).toEqual([]);
  });

  it('Required Test: Username Case Sensitivity Check (userName eq in upper case finds the user)', async () => {
    const res = await okta.get(`/Users?${filterQuery(`userName eq "${userName.toUpperCase()}"`)}`).expect(200);
    expect(res.body).toMatchObject({ totalResults: 1, itemsPerPage: 1, startIndex: 1, Resources: [{ id: userId, userName }] });
  });

  it('Required Test: Test Users endpoint (GET /Users?count=1&startIndex=1)', async () => {
    const res = await okta.get('/Users?count=1&startIndex=1').expect(200);
    expect(res.body).toMatchObject({ schemas: [SCHEMA.list], totalResults: 1, itemsPerPage: 1, startIndex: 1 });
    expect(res.body.Resources[0]).toMatchObject({ id: userId, userName, name: { givenName: 'Test', familyName: 'User' }, active: true, emails: [{ value: userName }] });
  });

  it('Required Test: Test invalid User by ID / Check status 404', async () => {
    expectScimError(await okta.get('/Users/00919288221112222'), 404);
  });

  it('Required Test: Check status 401 (a token Okta was not given)', async () => {
    const res = await scimClient(t, dir, 'Bearer non-token').get(`/Users?${filterQuery(`userName eq "${userName}"`)}`);
    expectScimError(res, 401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('Optional Test: Verify Groups endpoint (GET /Groups?startIndex=1&count=100, none pushed yet)', async () => {
    const res = await okta.get('/Groups?startIndex=1&count=100').expect(200);
    expect(res.body).toEqual({ schemas: [SCHEMA.list], totalResults: 0, itemsPerPage: 0, startIndex: 1, Resources: [] });
  });

  it('Update a specific User (PUT): Okta reads the user, then PUTs it back with the changed profile', async () => {
    t.clock.advance(60_000);
    const body = { ...lastRead, name: { givenName: 'Another', middleName: 'Excited', familyName: 'User' }, displayName: 'Another User' };
    const res = await okta.put(`/Users/${userId}`, body).expect(200);
    expect(res.body).toMatchObject({ id: userId, name: { givenName: 'Another', middleName: 'Excited', familyName: 'User' }, displayName: 'Another User', active: true });
    expect(res.body.meta).toMatchObject({ created: NOW, lastModified: '2026-12-01T09:01:00.000Z', version: 'W/"2"' });
    expect(await userByEmail(t, userName)).toMatchObject({ id: personId, first_name: 'Another', last_name: 'User' });
    expect(await membershipOf(t, org, userName)).toMatchObject({ state: 'active', disabled_by: null });
    expect(await newEvents()).toEqual([{ type: 'dsync.user.updated', actor: actor(), data: dsync() }]);
    lastRead = (await okta.get(`/Users/${userId}`).expect(200)).body;
  });

  it('Deactivates the user in Okta: PUT /Users/{id} with active: false disables the membership (disabled_by directory)', async () => {
    const res = await okta.put(`/Users/${userId}`, { ...lastRead, active: false }).expect(200);
    expect(res.body).toMatchObject({ id: userId, active: false });
    // Deactivation keeps the person and their history: the membership is disabled, never deleted.
    expect(await membershipOf(t, org, userName)).toMatchObject({ user_id: personId, state: 'disabled', disabled_by: 'directory', disabled_at: '2026-12-01T09:01:00.000Z' });
    expect(await userByEmail(t, userName)).toMatchObject({ id: personId });
    expect(await newEvents()).toEqual([
      { type: 'dsync.user.updated', actor: actor(), data: dsync() },
      { type: 'membership.disabled', actor: actor(), data: expect.objectContaining({ user_id: personId, disabled_by: 'directory' }) },
      { type: 'dsync.user.disabled', actor: actor(), data: dsync() },
    ]);
    // Verifies that the user was deactivated on your SCIM server.
    expect((await okta.get(`/Users/${userId}`).expect(200)).body.active).toBe(false);
    const filtered = await okta.get(`/Users?${filterQuery(`userName eq "${userName}"`)}&startIndex=1&count=100`).expect(200);
    expect(filtered.body.Resources).toEqual([expect.objectContaining({ id: userId, active: false })]);
    lastRead = res.body;
  });

  it('Reactivates the user in Okta: PUT /Users/{id} with active: true enables the membership again', async () => {
    const res = await okta.put(`/Users/${userId}`, { ...lastRead, active: true }).expect(200);
    expect(res.body).toMatchObject({ id: userId, active: true });
    expect(await membershipOf(t, org, userName)).toMatchObject({ state: 'active', disabled_by: null, disabled_at: null });
    expect(await newEvents()).toEqual([
      { type: 'dsync.user.updated', actor: actor(), data: dsync() },
      { type: 'membership.enabled', actor: actor(), data: expect.objectContaining({ user_id: personId, enabled_by: 'directory' }) },
      { type: 'dsync.user.enabled', actor: actor(), data: dsync() },
    ]);
    lastRead = res.body;
  });

  it('Create Groups: Push Groups sends POST /Groups with an empty member list', async () => {
    // A second assigned user, to push in the group with the first.
    const second = await okta
      .post('/Users', { schemas: [SCHEMA.user], userName: 'second.user@acme.example', name: { givenName: 'Second', familyName: 'User' }, emails: [{ primary: true, value: 'second.user@acme.example', type: 'work' }], displayName: 'Second User', locale: 'en-US', externalId: '00ujl29u0le5T6Aj10h8', groups: [], password: 'x7kq2m9p', active: true })
      .expect(201);
    secondId = second.body.id;
    await newEvents();

    const res = await okta.post('/Groups', { schemas: [SCHEMA.group], displayName: 'Test SCIMv2', members: [] }).expect(201);
    groupId = res.body.id;
    expect(groupId).toMatch(/^grp_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(res.body).toEqual({
      schemas: [SCHEMA.group],
      id: groupId,
      displayName: 'Test SCIMv2',
      members: [],
      meta: { resourceType: 'Group', created: '2026-12-01T09:01:00.000Z', lastModified: '2026-12-01T09:01:00.000Z', location: `${dir.scimBaseUrl}/Groups/${groupId}`, version: 'W/"1"' },
    });
    expect(res.headers.location).toBe(`${dir.scimBaseUrl}/Groups/${groupId}`);
    expect(await newEvents()).toEqual([{ type: 'dsync.group.created', actor: actor(), data: { directory_id: dir.id, group_id: groupId, display_name: 'Test SCIMv2' } }]);
  });

  it('Update a specific Group name and membership (AIW: PUT /Groups/{id} with displayName and the full member list)', async () => {
    const res = await okta
      .put(`/Groups/${groupId}`, {
        schemas: [SCHEMA.group],
        id: groupId,
        displayName: 'Test SCIMv20',
        members: [
          { value: userId, display: userName },
          { value: secondId, display: 'second.user@acme.example' },
        ],
      })
      .expect(200);
    expect(res.body).toMatchObject({ id: groupId, displayName: 'Test SCIMv20', meta: { version: 'W/"2"' } });
    expect(res.body.members).toEqual([
      { value: userId, display: userName, type: 'User', $ref: `${dir.scimBaseUrl}/Users/${userId}` },
      { value: secondId, display: 'second.user@acme.example', type: 'User', $ref: `${dir.scimBaseUrl}/Users/${secondId}` },
    ]);
    expect(await newEvents()).toEqual([
      { type: 'dsync.group.updated', actor: actor(), data: { directory_id: dir.id, group_id: groupId, display_name: 'Test SCIMv20', members_added: 2, members_removed: 0 } },
    ]);
    // The members see the group on their User resource.
    const user = await okta.get(`/Users/${userId}`).expect(200);
    expect(user.body.groups).toEqual([{ value: groupId, display: 'Test SCIMv20', $ref: `${dir.scimBaseUrl}/Groups/${groupId}` }]);
    lastRead = user.body;
  });

  it('Update a specific User (PUT) after Group Push: Okta sends groups: [] and the pushed memberships stay (groups is read-only on a User)', async () => {
    // Okta's PUT body carries the app profile's `groups: []`, whatever GET answered.
    const res = await okta.put(`/Users/${userId}`, { ...lastRead, title: 'Analyst', groups: [] }).expect(200);
    expect(res.body).toMatchObject({ id: userId, title: 'Analyst', groups: [{ value: groupId }] });
    const group = await okta.get(`/Groups/${groupId}`).expect(200);
    expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([userId, secondId]);
    expect(await newEvents()).toEqual([{ type: 'dsync.user.updated', actor: actor(), data: dsync() }]);
  });

  it('Retrieve Groups: GET /Groups?filter=displayName eq "…" finds a pushed group by name', async () => {
    const res = await okta.get(`/Groups?${filterQuery('displayName eq "Test SCIMv20"')}&startIndex=1&count=100`).expect(200);
    expect(res.body).toMatchObject({ schemas: [SCHEMA.list], totalResults: 1, itemsPerPage: 1, startIndex: 1, Resources: [{ id: groupId, displayName: 'Test SCIMv20' }] });
    const none = await okta.get(`/Groups?${filterQuery('displayName eq "Not pushed"')}`).expect(200);
    expect(none.body).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('Update specific Group membership (OIN: PATCH with members[value eq "…"] remove and members add)', async () => {
    const third = await okta
      .post('/Users', { schemas: [SCHEMA.user], userName: 'third.user@acme.example', name: { givenName: 'Third', familyName: 'User' }, emails: [{ primary: true, value: 'third.user@acme.example', type: 'work' }], active: true, groups: [], password: 'p4ss' })
      .expect(201);
    await newEvents();
    const res = await okta
      .patch(`/Groups/${groupId}`, {
        schemas: [SCHEMA.patchOp],
        Operations: [
          { op: 'remove', path: `members[value eq "${secondId}"]` },
          { op: 'add', path: 'members', value: [{ value: third.body.id, display: 'third.user@acme.example' }] },
        ],
      })
      .expect(200);
    expect(res.body.members.map((m: { value: string }) => m.value).sort()).toEqual([userId, third.body.id].sort());
    expect(await newEvents()).toEqual([
      { type: 'dsync.group.updated', actor: actor(), data: { directory_id: dir.id, group_id: groupId, display_name: 'Test SCIMv20', members_added: 1, members_removed: 1 } },
    ]);
  });

  it('Update a specific Group name (OIN: PATCH replace with a value object echoing the id)', async () => {
    const res = await okta.patch(`/Groups/${groupId}`, { schemas: [SCHEMA.patchOp], Operations: [{ op: 'replace', value: { id: groupId, displayName: 'Test SCIMv2 renamed' } }] }).expect(200);
    expect(res.body).toMatchObject({ id: groupId, displayName: 'Test SCIMv2 renamed' });
    expect(res.body.members).toHaveLength(2);
    expect(await newEvents()).toEqual([
      { type: 'dsync.group.updated', actor: actor(), data: { directory_id: dir.id, group_id: groupId, display_name: 'Test SCIMv2 renamed', members_added: 0, members_removed: 0 } },
    ]);
  });

  it('Update specific Group membership (OIN: PATCH replace members with the full list)', async () => {
    const res = await okta.patch(`/Groups/${groupId}`, { schemas: [SCHEMA.patchOp], Operations: [{ op: 'replace', path: 'members', value: [{ value: userId, display: userName }, { value: secondId, display: 'second.user@acme.example' }] }] }).expect(200);
    expect(res.body.members.map((m: { value: string }) => m.value)).toEqual([userId, secondId]);
    expect((await newEvents()).map((e) => [e.type, e.data.members_added, e.data.members_removed])).toEqual([['dsync.group.updated', 1, 1]]);
  });

  it('Delete a specific Group: DELETE /Groups/{id} ("Delete the group in the target app") answers 204, then 404', async () => {
    const res = await okta.delete(`/Groups/${groupId}`).expect(204);
    expect(res.text).toBe('');
    expectScimError(await okta.get(`/Groups/${groupId}`), 404);
    expect(await newEvents()).toEqual([{ type: 'dsync.group.deleted', actor: actor(), data: { directory_id: dir.id, group_id: groupId, display_name: 'Test SCIMv2 renamed' } }]);
    // The members stay, without the group.
    expect((await okta.get(`/Users/${userId}`).expect(200)).body.groups).toEqual([]);
    expect(await membershipOf(t, org, userName)).toMatchObject({ state: 'active' });
  });

  it('Update a specific User (PATCH, OIN): deactivate with {"op":"replace","value":{"active":false}}, reactivate the same way', async () => {
    const off = await okta.patch(`/Users/${userId}`, { schemas: [SCHEMA.patchOp], Operations: [{ op: 'replace', value: { active: false } }] }).expect(200);
    expect(off.body).toMatchObject({ id: userId, active: false, name: { givenName: 'Another', familyName: 'User' }, title: 'Analyst' });
    expect(await membershipOf(t, org, userName)).toMatchObject({ state: 'disabled', disabled_by: 'directory' });
    expect((await newEvents()).map((e) => e.type)).toEqual(['dsync.user.updated', 'membership.disabled', 'dsync.user.disabled']);

    const on = await okta.patch(`/Users/${userId}`, { schemas: [SCHEMA.patchOp], Operations: [{ op: 'replace', value: { active: true } }] }).expect(200);
    expect(on.body).toMatchObject({ id: userId, active: true });
    expect(await membershipOf(t, org, userName)).toMatchObject({ state: 'active', disabled_by: null });
    expect((await newEvents()).map((e) => e.type)).toEqual(['dsync.user.updated', 'membership.enabled', 'dsync.user.enabled']);
  });

  it('Delete Users: Okta never sends DELETE; unassigning the app sends active: false and the person stays', async () => {
    await okta.put(`/Users/${userId}`, { ...(await okta.get(`/Users/${userId}`).expect(200)).body, active: false }).expect(200);
    expect(await membershipOf(t, org, userName)).toMatchObject({ user_id: personId, state: 'disabled', disabled_by: 'directory' });
    // Still readable by Okta (a later re-assignment finds it by userName and re-activates it).
    const found = await okta.get(`/Users?${filterQuery(`userName eq "${userName}"`)}&startIndex=1&count=100`).expect(200);
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id: userId, active: false }] });
  });

  it("the org's activity log tells the lifecycle (GET /api/v1/events?types=dsync.…), every entry by the directory", async () => {
    const types = ['dsync.user.created', 'dsync.user.disabled', 'dsync.user.enabled', 'dsync.user.deleted', 'dsync.group.created', 'dsync.group.deleted'];
    const res = await t.api.get(`/api/v1/events?organization_id=${org}&types=${types.join(',')}&limit=100`).expect(200);
    const log = res.body.data as Array<{ type: string; actor: { type: string; id: string }; data: Record<string, string> }>;
    expect(log.map((e) => [e.type, e.data.user_name ?? e.data.display_name])).toEqual([
      ['dsync.user.created', userName],
      ['dsync.user.disabled', userName],
      ['dsync.user.enabled', userName],
      ['dsync.user.created', 'second.user@acme.example'],
      ['dsync.group.created', 'Test SCIMv2'],
      ['dsync.user.created', 'third.user@acme.example'],
      ['dsync.group.deleted', 'Test SCIMv2 renamed'],
      ['dsync.user.disabled', userName],
      ['dsync.user.enabled', userName],
      ['dsync.user.disabled', userName],
    ]);
    for (const event of log) expect(event.actor).toEqual({ type: 'directory', id: dir.id });
    // The directory shows when Okta last called.
    expect((await t.api.get(`/api/v1/directories/${dir.id}`).expect(200)).body).toMatchObject({ provider: 'okta', state: 'active', last_request_at: expect.any(String) });
  });
});
