/**
 * Microsoft Entra ID's provisioning service, request by request, as Microsoft documents it ("Tutorial:
 * Develop and plan provisioning for a SCIM endpoint", section "SCIM protocol requests and responses", and
 * "Known issues and resolutions with SCIM 2.0 protocol compliance" for the default and aadOptscim062020
 * PATCH forms). Tests are titled by those sections. One Entra enterprise app provisions one org, in order;
 * after each request the Gatehouse side is checked through the management API and the activity log.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg } from '../helpers/api.ts';
import {
  createDirectory, eventLog, expectScimError, filterQuery, type LoggedEvent, membershipOf, patchOp, SCHEMA, type ScimClient, scimClient, type TestDirectory, userByEmail, verifyDomain,
} from '../helpers/scim.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADSCIM_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
const MANAGER = `${SCHEMA.enterprise}:manager`;

describe('Microsoft Entra ID SCIM (default PATCH form and aadOptscim062020)', () => {
  let t: TestApp;
  let org: string;
  let dir: TestDirectory;
  let entra: ScimClient;
  let newEvents: () => Promise<LoggedEvent[]>;
  let userId: string;
  let personId: string;
  let managerId: string;
  let groupId: string;
  let email = 'ada@contoso.example';
  const userName = 'ada.lovelace@contoso.example';
  const externalId = '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef';
  const types = async () => (await newEvents()).map((e) => e.type);
  const read = async () => (await entra.get(`/Users/${userId}`).expect(200)).body;

  beforeAll(async () => {
    t = await createTestApp();
    org = await createOrg(t, 'Contoso');
    await verifyDomain(t, org, 'contoso.example');
    dir = await createDirectory(t, org, 'entra');
    entra = scimClient(t, dir);
    newEvents = eventLog(t, org);
    await newEvents();
  });
  afterAll(async () => t.close());

  it('Test Connection: GET /Users?filter=userName eq "<random GUID>" answers 200 with an empty ListResponse', async () => {
    const res = await entra.get(`/Users?${filterQuery(`userName eq "${randomUUID()}"`)}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body).toEqual({ schemas: [SCHEMA.list], totalResults: 0, itemsPerPage: 0, startIndex: 1, Resources: [] });
    // The connection test is recorded on the directory, not in the activity log.
    expect(await newEvents()).toEqual([]);
    const directory = await t.api.get(`/api/v1/directories/${dir.id}`).expect(200);
    expect(directory.body.last_request_at).toBe('2026-12-01T09:00:00.000Z');
  });

  it('Get User by query - Zero results: GET /Users?filter=userName eq "…" before the user is created', async () => {
    const res = await entra.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`).expect(200);
    expect(res.body).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('Create User: POST /Users with the enterprise extension, meta and roles: [] as Entra sends them', async () => {
    const res = await entra
      .post('/Users', {
        schemas: [SCHEMA.user, SCHEMA.enterprise],
        externalId,
        userName,
        active: true,
        emails: [{ primary: true, type: 'work', value: email }],
        meta: { resourceType: 'User' },
        name: { formatted: 'Ada Lovelace', familyName: 'Lovelace', givenName: 'Ada' },
        displayName: 'Ada Lovelace',
        title: 'Analyst',
        roles: [],
        [SCHEMA.enterprise]: { employeeNumber: '1815', department: 'Engineering' },
      })
      .expect(201);
    userId = res.body.id;
    expect(res.body).toMatchObject({
      schemas: [SCHEMA.user, SCHEMA.enterprise],
      id: userId,
      externalId,
      userName,
      active: true,
      emails: [{ primary: true, type: 'work', value: email }],
      name: { formatted: 'Ada Lovelace', familyName: 'Lovelace', givenName: 'Ada' },
      [SCHEMA.enterprise]: { employeeNumber: '1815', department: 'Engineering' },
      meta: { resourceType: 'User', location: `${dir.scimBaseUrl}/Users/${userId}` },
    });
    // The person is the email's owner, not the UPN's.
    const person = await userByEmail(t, email);
    expect(person).toMatchObject({ email, first_name: 'Ada', last_name: 'Lovelace' });
    expect(await userByEmail(t, userName)).toBeUndefined();
    personId = person!.id;
    expect(await membershipOf(t, org, email)).toMatchObject({ state: 'active', source: 'directory', role: 'member' });
    expect(await newEvents()).toEqual([
      { type: 'membership.created', actor: { type: 'directory', id: dir.id }, data: expect.objectContaining({ user_id: personId }) },
      { type: 'dsync.user.created', actor: { type: 'directory', id: dir.id }, data: { directory_id: dir.id, scim_user_id: userId, user_id: personId, user_name: userName } },
    ]);
  });

  it('Get User by query: GET /Users?filter=externalId eq "…" (externalId as the matching attribute)', async () => {
    const res = await entra.get(`/Users?${filterQuery(`externalId eq "${externalId}"`)}`).expect(200);
    expect(res.body).toMatchObject({ totalResults: 1, Resources: [{ id: userId, externalId, userName }] });
    // externalId is caseExact (RFC 7643 §3.1).
    const other = await entra.get(`/Users?${filterQuery(`externalId eq "${externalId.toUpperCase()}"`)}`).expect(200);
    expect(other.body.totalResults).toBe(0);
    const byUserName = await entra.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`).expect(200);
    expect(byUserName.body).toMatchObject({ totalResults: 1, Resources: [{ id: userId }] });
  });

  it('Get User: GET /Users/{id}; an unknown id answers 404 with the SCIM error', async () => {
    expect(await read()).toMatchObject({ id: userId, userName, active: true });
    expectScimError(await entra.get('/Users/5171a35d82074e068ce2'), 404);
  });

  it('Update User [Multi-valued properties]: Replace emails[type eq "work"].value and name.familyName', async () => {
    t.clock.advance(60_000);
    const res = await entra
      .patch(`/Users/${userId}`, patchOp(
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'ada.king@contoso.example' },
        { op: 'Replace', path: 'name.familyName', value: 'King' },
      ))
      .expect(200);
    expect(res.body).toMatchObject({ emails: [{ value: 'ada.king@contoso.example', type: 'work', primary: true }], name: { givenName: 'Ada', familyName: 'King' }, meta: { version: 'W/"2"' } });
    // The person's email follows the directory (same person, same membership).
    email = 'ada.king@contoso.example';
    expect(await userByEmail(t, 'ada@contoso.example')).toBeUndefined();
    expect(await userByEmail(t, email)).toMatchObject({ id: personId, last_name: 'King', email_verified: false });
    expect(await membershipOf(t, org, email)).toMatchObject({ user_id: personId, state: 'active' });
    expect(await types()).toEqual(['dsync.user.updated']);
    const changed = await t.app.db.selectFrom('events').select('data').where('type', '=', 'user.email_changed').execute();
    expect(changed.map((e) => JSON.parse(e.data))).toEqual([{ user_id: personId, previous_email: 'ada@contoso.example', email }]);
  });

  it('Update User [Single-valued properties]: Replace userName', async () => {
    const res = await entra.patch(`/Users/${userId}`, patchOp({ op: 'Replace', path: 'userName', value: 'ada.king@contoso.example' })).expect(200);
    expect(res.body.userName).toBe('ada.king@contoso.example');
    const found = await entra.get(`/Users?${filterQuery('userName eq "ada.king@contoso.example"')}`).expect(200);
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id: userId }] });
    expect((await entra.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`).expect(200)).body.totalResults).toBe(0);
    expect(await types()).toEqual(['dsync.user.updated']);
  });

  it('Requests to replace multiple attributes (default form): one capitalised Replace per attribute', async () => {
    const res = await entra
      .patch(`/Users/${userId}`, patchOp(
        { op: 'Replace', path: 'displayName', value: 'Pvlo' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: email },
        { op: 'Replace', path: 'name.givenName', value: 'Gtfd' },
        { op: 'Replace', path: 'name.familyName', value: 'Pkqf' },
        { op: 'Replace', path: 'externalId', value: 'Eqpj' },
        { op: 'Replace', path: `${SCHEMA.enterprise}:employeeNumber`, value: 'Eqpj' },
      ))
      .expect(200);
    expect(res.body).toMatchObject({ displayName: 'Pvlo', name: { givenName: 'Gtfd', familyName: 'Pkqf' }, externalId: 'Eqpj', [SCHEMA.enterprise]: { employeeNumber: 'Eqpj', department: 'Engineering' } });
    expect(await userByEmail(t, email)).toMatchObject({ id: personId, first_name: 'Gtfd', last_name: 'Pkqf' });
    expect(await types()).toEqual(['dsync.user.updated']);
  });

  it('Requests to replace multiple attributes (aadOptscim062020): lowercase ops, several replaces folded into one value object', async () => {
    const res = await entra
      .patch(`/Users/${userId}`, patchOp(
        { op: 'replace', path: 'emails[type eq "work"].value', value: email },
        { op: 'replace', value: { displayName: 'Bjfe', 'name.givenName': 'Kkom', 'name.familyName': 'Unua', [`${SCHEMA.enterprise}:employeeNumber`]: 'Aklq' } },
      ))
      .expect(200);
    expect(res.body).toMatchObject({ displayName: 'Bjfe', name: { givenName: 'Kkom', familyName: 'Unua' }, emails: [{ value: email, type: 'work', primary: true }], [SCHEMA.enterprise]: { employeeNumber: 'Aklq' } });
    expect(await userByEmail(t, email)).toMatchObject({ id: personId, first_name: 'Kkom', last_name: 'Unua' });
    expect(await types()).toEqual(['dsync.user.updated']);
  });

  it('Requests made to add a single-value string attribute: "Add" (default) and "add" (aadOptscim062020) nickName', async () => {
    expect((await entra.patch(`/Users/${userId}`, patchOp({ op: 'Add', path: 'nickName', value: 'Babs' })).expect(200)).body.nickName).toBe('Babs');
    expect((await entra.patch(`/Users/${userId}`, patchOp({ op: 'add', path: 'nickName', value: 'Ada' })).expect(200)).body.nickName).toBe('Ada');
    expect(await types()).toEqual(['dsync.user.updated', 'dsync.user.updated']);
  });

  it('Update User [manager]: the enterprise manager as a bare id, then cleared with ""', async () => {
    const manager = await entra
      .post('/Users', { schemas: [SCHEMA.user, SCHEMA.enterprise], externalId: 'c0ffee00-0000-4000-8000-000000000001', userName: 'charles@contoso.example', active: true, emails: [{ primary: true, type: 'work', value: 'charles@contoso.example' }], name: { givenName: 'Charles', familyName: 'Babbage' } })
      .expect(201);
    managerId = manager.body.id;
    await newEvents();

    const set = await entra.patch(`/Users/${userId}`, patchOp({ op: 'Add', path: MANAGER, value: managerId })).expect(200);
    expect(set.body[SCHEMA.enterprise]).toEqual({ employeeNumber: 'Aklq', department: 'Engineering', manager: { value: managerId } });
    expect((await read())[SCHEMA.enterprise].manager).toEqual({ value: managerId });

    const cleared = await entra.patch(`/Users/${userId}`, patchOp({ op: 'Replace', path: MANAGER, value: '' })).expect(200);
    expect(cleared.body[SCHEMA.enterprise]).toEqual({ employeeNumber: 'Aklq', department: 'Engineering' });
    expect((await read())[SCHEMA.enterprise]).not.toHaveProperty('manager');
    expect(await types()).toEqual(['dsync.user.updated', 'dsync.user.updated']);
  });

  it('Disable User (default form): Replace active "False" disables the membership; "True" enables it again', async () => {
    const off = await entra.patch(`/Users/${userId}`, patchOp({ op: 'Replace', path: 'active', value: 'False' })).expect(200);
    expect(off.body.active).toBe(false);
    expect(await membershipOf(t, org, email)).toMatchObject({ user_id: personId, state: 'disabled', disabled_by: 'directory' });
    expect(await types()).toEqual(['dsync.user.updated', 'membership.disabled', 'dsync.user.disabled']);

    const on = await entra.patch(`/Users/${userId}`, patchOp({ op: 'Replace', path: 'active', value: 'True' })).expect(200);
    expect(on.body.active).toBe(true);
    expect(await membershipOf(t, org, email)).toMatchObject({ state: 'active', disabled_by: null });
    expect(await types()).toEqual(['dsync.user.updated', 'membership.enabled', 'dsync.user.enabled']);
  });

  it('Disable User (aadOptscim062020): replace active false, a boolean', async () => {
    const off = await entra.patch(`/Users/${userId}`, patchOp({ op: 'replace', path: 'active', value: false })).expect(200);
    expect(off.body.active).toBe(false);
    expect(await membershipOf(t, org, email)).toMatchObject({ state: 'disabled', disabled_by: 'directory' });
    await entra.patch(`/Users/${userId}`, patchOp({ op: 'replace', path: 'active', value: true })).expect(200);
    expect(await membershipOf(t, org, email)).toMatchObject({ state: 'active' });
    expect(await types()).toEqual(['dsync.user.updated', 'membership.disabled', 'dsync.user.disabled', 'dsync.user.updated', 'membership.enabled', 'dsync.user.enabled']);
  });

  it('Get Group by displayName before it exists: GET /Groups?excludedAttributes=members&filter=displayName eq "…"', async () => {
    const res = await entra.get(`/Groups?excludedAttributes=members&${filterQuery('displayName eq "Engineering"')}`).expect(200);
    expect(res.body).toEqual({ schemas: [SCHEMA.list], totalResults: 0, itemsPerPage: 0, startIndex: 1, Resources: [] });
  });

  it('Create Group: POST /Groups with the ADSCIM schema, externalId (objectId) and no members', async () => {
    const res = await entra.post('/Groups', { schemas: [SCHEMA.group, ADSCIM_GROUP], externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'Engineering', meta: { resourceType: 'Group' } }).expect(201);
    groupId = res.body.id;
    expect(res.body).toMatchObject({ schemas: [SCHEMA.group], id: groupId, externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'Engineering', members: [], meta: { resourceType: 'Group' } });
    expect(await newEvents()).toEqual([{ type: 'dsync.group.created', actor: { type: 'directory', id: dir.id }, data: { directory_id: dir.id, group_id: groupId, display_name: 'Engineering' } }]);
    // Entra matches groups by displayName: a second "engineering" would be ambiguous.
    expectScimError(await entra.post('/Groups', { schemas: [SCHEMA.group], displayName: 'engineering' }), 409, 'uniqueness');
  });

  it('Get Group: GET /Groups/{id}?excludedAttributes=members answers no members attribute', async () => {
    const res = await entra.get(`/Groups/${groupId}?excludedAttributes=members`).expect(200);
    expect(res.body).toMatchObject({ id: groupId, displayName: 'Engineering', externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159' });
    expect(res.body).not.toHaveProperty('members');
  });

  it('Get Group by displayName: GET /Groups?excludedAttributes=members&filter=displayName eq "…"', async () => {
    const res = await entra.get(`/Groups?excludedAttributes=members&${filterQuery('displayName eq "Engineering"')}`).expect(200);
    expect(res.body).toMatchObject({ totalResults: 1, itemsPerPage: 1, Resources: [{ id: groupId, displayName: 'Engineering' }] });
    expect(res.body.Resources[0]).not.toHaveProperty('members');
  });

  it('Update Group [Non-member attributes]: Replace displayName', async () => {
    const res = await entra.patch(`/Groups/${groupId}`, patchOp({ op: 'Replace', path: 'displayName', value: 'Engineering (all)' })).expect(200);
    expect(res.body).toMatchObject({ id: groupId, displayName: 'Engineering (all)' });
    expect(await newEvents()).toEqual([
      { type: 'dsync.group.updated', actor: { type: 'directory', id: dir.id }, data: { directory_id: dir.id, group_id: groupId, display_name: 'Engineering (all)', members_added: 0, members_removed: 0 } },
    ]);
  });

  it('Update Group [Add Members]: Add members with {"$ref": null, "value": "<id>"}, two in one PATCH', async () => {
    const res = await entra.patch(`/Groups/${groupId}`, patchOp({ op: 'Add', path: 'members', value: [{ $ref: null, value: userId }, { $ref: null, value: managerId }] })).expect(200);
    expect(res.body.members.map((m: { value: string }) => m.value)).toEqual([userId, managerId]);
    expect((await newEvents()).map((e) => [e.type, e.data.members_added, e.data.members_removed])).toEqual([['dsync.group.updated', 2, 0]]);
    // Entra's membership check: the group by id and member, members excluded.
    const check = await entra.get(`/Groups?excludedAttributes=members&${filterQuery(`id eq "${groupId}" and members[value eq "${userId}"]`)}`).expect(200);
    expect(check.body).toMatchObject({ totalResults: 1, Resources: [{ id: groupId }] });
    expect((await read()).groups).toEqual([{ value: groupId, display: 'Engineering (all)', $ref: `${dir.scimBaseUrl}/Groups/${groupId}` }]);
  });

  it('Update Group [Remove Members] (default form): Remove path members with a value array', async () => {
    const res = await entra.patch(`/Groups/${groupId}`, patchOp({ op: 'Remove', path: 'members', value: [{ $ref: null, value: managerId }] })).expect(200);
    expect(res.body.members.map((m: { value: string }) => m.value)).toEqual([userId]);
    expect((await newEvents()).map((e) => [e.type, e.data.members_added, e.data.members_removed])).toEqual([['dsync.group.updated', 0, 1]]);
    const check = await entra.get(`/Groups?excludedAttributes=members&${filterQuery(`id eq "${groupId}" and members[value eq "${managerId}"]`)}`).expect(200);
    expect(check.body.totalResults).toBe(0);
  });

  it('Requests made to remove a group member (aadOptscim062020): remove members[value eq "<id>"]', async () => {
    await entra.patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: managerId }] })).expect(200);
    const res = await entra.patch(`/Groups/${groupId}`, patchOp({ op: 'remove', path: `members[value eq "${userId}"]` })).expect(200);
    expect(res.body.members.map((m: { value: string }) => m.value)).toEqual([managerId]);
    expect((await newEvents()).map((e) => [e.type, e.data.members_added, e.data.members_removed])).toEqual([['dsync.group.updated', 1, 0], ['dsync.group.updated', 0, 1]]);
  });

  it('Delete User: DELETE /Users/{id} answers 204; the resource is gone, the person stays with the membership disabled by the directory', async () => {
    await entra.patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: userId }] })).expect(200);
    await newEvents();
    const res = await entra.delete(`/Users/${userId}`).expect(204);
    expect(res.text).toBe('');
    expectScimError(await entra.get(`/Users/${userId}`), 404);
    expect((await entra.get(`/Users?${filterQuery('userName eq "ada.king@contoso.example"')}`).expect(200)).body.totalResults).toBe(0);
    expectScimError(await entra.patch(`/Users/${userId}`, patchOp({ op: 'replace', path: 'active', value: true })), 404);
    expectScimError(await entra.delete(`/Users/${userId}`), 404);
    // The person and their history stay; the membership is disabled, not deleted; they left the group.
    expect(await userByEmail(t, email)).toMatchObject({ id: personId });
    expect(await membershipOf(t, org, email)).toMatchObject({ user_id: personId, state: 'disabled', disabled_by: 'directory' });
    const group = await entra.get(`/Groups/${groupId}`).expect(200);
    expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([managerId]);
    expect(await newEvents()).toEqual([
      { type: 'membership.disabled', actor: { type: 'directory', id: dir.id }, data: expect.objectContaining({ user_id: personId, disabled_by: 'directory' }) },
      { type: 'dsync.user.disabled', actor: { type: 'directory', id: dir.id }, data: expect.objectContaining({ scim_user_id: userId }) },
      { type: 'dsync.user.deleted', actor: { type: 'directory', id: dir.id }, data: { directory_id: dir.id, scim_user_id: userId, user_id: personId, user_name: 'ada.king@contoso.example' } },
    ]);
  });

  it('Delete Group: DELETE /Groups/{id} answers 204, then 404', async () => {
    await entra.delete(`/Groups/${groupId}`).expect(204);
    expectScimError(await entra.get(`/Groups/${groupId}?excludedAttributes=members`), 404);
    expect((await entra.get(`/Groups?excludedAttributes=members&${filterQuery('displayName eq "Engineering (all)"')}`).expect(200)).body.totalResults).toBe(0);
    expect(await types()).toEqual(['dsync.group.deleted']);
    expect((await entra.get(`/Users/${managerId}`).expect(200)).body.groups).toEqual([]);
  });
});
