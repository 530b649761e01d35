/**
 * SCIM Groups (RFC 7643/7644) under Gatehouse's rules: renames, emptying a group, a PATCH on a group of
 * 2,000 members, and group mappings (a directory group giving an org role or site roles).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Directory } from '../../src/db/schema.ts';
import { newId } from '../../src/crypto/ids.ts';
import { createOrg, createSite } from '../helpers/api.ts';
import {
  type AcmeDirectory, acmeDirectory, eventLog, filterQuery, membershipOf, memberIds, patchOp, SCHEMA, type ScimClient, scimSnapshot, type TestDirectory, userByEmail,
} from '../helpers/scim.ts';
import type { TestApp } from '../helpers/test-app.ts';

let t: TestApp, org: string, dir: TestDirectory, scim: ScimClient;
let createUser: AcmeDirectory['createUser'], createGroup: AcmeDirectory['createGroup'];

beforeEach(async () => ({ t, org, dir, scim, createUser, createGroup } = await acmeDirectory()));
afterEach(async () => t.close());

describe("Gatehouse's rules for directories", () => {
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
        .values(chunk.map((p) => ({ id: newId('mem'), organization_id: directory.organization_id, user_id: p.userId, role: 'member' as const, state: 'active' as const, disabled_by: null, disabled_at: null, source: 'directory' as const, role_source: 'default' as const, created_at: now, updated_at: now })))
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
