import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assignSite } from '../../src/users/provisioning.ts';
import { allEvents, createOrg, createSite, eventsSince, expectProblem, seedMember, UNKNOWN } from '../helpers/api.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

describe('site assignments API', () => {
  let t: TestApp;
  let acme: string;
  let hq: string;
  let ada: { userId: string; membershipId: string | null };
  beforeEach(async () => {
    t = await createTestApp();
    acme = await createOrg(t, 'Acme');
    hq = await createSite(t, acme, 'HQ');
    ada = await seedMember(t, acme, { email: 'ada@acme.example' });
  });
  afterEach(async () => t.close());

  const put = (siteId: string, userId: string, body: object) => t.api.put(`/api/v1/sites/${siteId}/assignments/${userId}`, body);

  it('PUT creates an assignment, then changes its role, each with one event; the same role is no change', async () => {
    let before = (await allEvents(t)).length;
    const created = await put(hq, ada.userId, { role: 'member' }).expect(200);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^sa_[0-9A-HJKMNP-TV-Z]{26}$/),
      organization_id: acme,
      site_id: hq,
      site_name: 'HQ',
      user_id: ada.userId,
      role: 'member',
      source: 'manual',
      created_at: '2026-12-01T09:00:00.000Z',
      updated_at: '2026-12-01T09:00:00.000Z',
    });
    expect(await eventsSince(t, before)).toEqual([
      { type: 'site_assignment.created', organization_id: acme, actor_type: 'api_key', data: { site_id: hq, user_id: ada.userId, role: 'member' } },
    ]);

    t.clock.advance(60_000);
    before = (await allEvents(t)).length;
    const updated = await put(hq, ada.userId, { role: 'admin' }).expect(200);
    expect(updated.body).toEqual({ ...created.body, role: 'admin', updated_at: '2026-12-01T09:01:00.000Z' });
    expect(await eventsSince(t, before)).toEqual([
      { type: 'site_assignment.updated', organization_id: acme, actor_type: 'api_key', data: { site_id: hq, user_id: ada.userId, role: 'admin', previous_role: 'member' } },
    ]);

    const snap = await t.snapshot();
    await put(hq, ada.userId, { role: 'admin' }).expect(200, updated.body);
    expect(await t.snapshot()).toEqual(snap);

    const list = await t.api.get(`/api/v1/users/${ada.userId}/site_assignments`).expect(200);
    expect(list.body).toEqual({ data: [updated.body], list_metadata: { after: null } });
  });

  it('takes over a group-mapping assignment when set by hand', async () => {
    await t.app.uow((trx) => assignSite(trx, t.call, { siteId: hq, userId: ada.userId, role: 'member', source: 'group_mapping' }));
    const res = await put(hq, ada.userId, { role: 'member' }).expect(200);
    expect(res.body).toMatchObject({ role: 'member', source: 'manual' });
    // ...after which a mapping no longer overwrites it.
    const { outcome } = await t.app.uow((trx) => assignSite(trx, t.call, { siteId: hq, userId: ada.userId, role: 'admin', source: 'group_mapping' }));
    expect(outcome).toBe('unchanged');
    expect((await t.api.get(`/api/v1/users/${ada.userId}/site_assignments`).expect(200)).body.data[0]).toMatchObject({ role: 'member', source: 'manual' });
  });

  it('accepts only the default SITE_ROLES member and admin', async () => {
    const before = await t.snapshot();
    for (const role of ['owner', 'Admin', 'viewer', ' admin']) {
      const res = await put(hq, ada.userId, { role });
      expectProblem(res, 422, 'validation_failed', undefined, role);
      expect(res.body.errors, role).toEqual([{ field: 'role', code: 'invalid_site_role', message: `role must be one of member, admin (got "${role}").` }]);
    }
    for (const [label, body, message] of [['missing', {}, 'role is required.'], ['empty', { role: '' }, 'role is required.'], ['not a string', { role: 2 }, 'role must be a string.'], ['unknown field', { role: 'admin', source: 'group_mapping' }, 'Unknown field: source.']] as const) {
      const res = await put(hq, ada.userId, body);
      expectProblem(res, 422, 'validation_failed', message, label);
    }
    expect(await t.snapshot()).toEqual(before);
  });

  it('refuses a person who is not a member of the site\'s org (422 not_a_member), even one of another org', async () => {
    const globex = await createOrg(t, 'Globex');
    const gus = await seedMember(t, globex, { email: 'gus@globex.example' });
    const loner = await seedMember(t, null, { email: 'loner@example.org' });
    const globexSite = await createSite(t, globex, 'Globex HQ');
    const before = await t.snapshot();

    for (const [label, siteId, userId] of [['member of another org', hq, gus.userId], ['member of no org', hq, loner.userId], ['acme member on a globex site', globexSite, ada.userId]] as const) {
      const res = await put(siteId, userId, { role: 'member' });
      expectProblem(res, 422, 'not_a_member', undefined, label);
      expect(res.body.detail, label).toMatch(/^User user_\w+ is not a member of the organization that owns site site_\w+\.$/);
    }
    expect(await t.snapshot()).toEqual(before);

    // Once a member, fine.
    await seedMember(t, acme, { email: 'gus@globex.example' });
    await put(hq, gus.userId, { role: 'member' }).expect(200);
  });

  it('answers 404 for an unknown site, user or assignment, and writes nothing', async () => {
    const before = await t.snapshot();
    const cases: Array<[string, () => Promise<any>, string]> = [
      ['put on unknown site', () => put(UNKNOWN.site, ada.userId, { role: 'member' }), `No site with id ${UNKNOWN.site}.`],
      ['put for unknown user', () => put(hq, UNKNOWN.user, { role: 'member' }), `No user with id ${UNKNOWN.user}.`],
      ['delete on unknown site', () => t.api.delete(`/api/v1/sites/${UNKNOWN.site}/assignments/${ada.userId}`), `No site with id ${UNKNOWN.site}.`],
      ['delete of no assignment', () => t.api.delete(`/api/v1/sites/${hq}/assignments/${ada.userId}`), `No site assignment with id ${hq}/${ada.userId}.`],
      ['list of unknown user', () => t.api.get(`/api/v1/users/${UNKNOWN.user}/site_assignments`), `No user with id ${UNKNOWN.user}.`],
    ];
    for (const [label, send, detail] of cases) {
      const res = await send();
      expectProblem(res, 404, 'not_found', detail, label);
    }
    expectProblem(await t.api.get(`/api/v1/users/${ada.userId}/site_assignments?organization_id=acme`), 400, 'invalid_query');
    expect(await t.snapshot()).toEqual(before);
  });

  it("lists a user's assignments across orgs, and by organization_id", async () => {
    const globex = await createOrg(t, 'Globex');
    const annex = await createSite(t, acme, 'Annex');
    const globexSite = await createSite(t, globex, 'Globex HQ');
    await seedMember(t, globex, { email: 'ada@acme.example' });
    const other = await seedMember(t, acme, { email: 'other@acme.example' });
    await put(hq, ada.userId, { role: 'member' }).expect(200);
    await put(globexSite, ada.userId, { role: 'admin' }).expect(200);
    await put(annex, ada.userId, { role: 'admin' }).expect(200);
    await put(hq, other.userId, { role: 'admin' }).expect(200);

    const all = await t.api.get(`/api/v1/users/${ada.userId}/site_assignments`).expect(200);
    expect(all.body.data.map((a: { site_name: string; role: string }) => [a.site_name, a.role])).toEqual([['HQ', 'member'], ['Globex HQ', 'admin'], ['Annex', 'admin']]);
    const onlyAcme = await t.api.get(`/api/v1/users/${ada.userId}/site_assignments?organization_id=${acme}`).expect(200);
    expect(onlyAcme.body.data.map((a: { site_id: string }) => a.site_id)).toEqual([hq, annex]);
    expect(onlyAcme.body.data.every((a: { organization_id: string }) => a.organization_id === acme)).toBe(true);
    const onlyGlobex = await t.api.get(`/api/v1/users/${ada.userId}/site_assignments?organization_id=${globex}`).expect(200);
    expect(onlyGlobex.body).toMatchObject({ data: [{ site_id: globexSite, organization_id: globex, site_name: 'Globex HQ' }], list_metadata: { after: null } });
    // A renamed site shows its new name.
    await t.api.patch(`/api/v1/sites/${hq}`, { name: 'Head Office' }).expect(200);
    expect((await t.api.get(`/api/v1/users/${ada.userId}/site_assignments?organization_id=${acme}`).expect(200)).body.data[0].site_name).toBe('Head Office');
    // A user with none.
    const none = await seedMember(t, acme, { email: 'none@acme.example' });
    expect((await t.api.get(`/api/v1/users/${none.userId}/site_assignments`).expect(200)).body).toEqual({ data: [], list_metadata: { after: null } });
  });

  it('DELETE removes an assignment (204, one event), then answers 404', async () => {
    await put(hq, ada.userId, { role: 'admin' }).expect(200);
    const before = (await allEvents(t)).length;
    const res = await t.api.delete(`/api/v1/sites/${hq}/assignments/${ada.userId}`).expect(204);
    expect(res.text).toBe('');
    expect(await eventsSince(t, before)).toEqual([
      { type: 'site_assignment.deleted', organization_id: acme, actor_type: 'api_key', data: { site_id: hq, user_id: ada.userId, role: 'admin' } },
    ]);
    expect((await t.api.get(`/api/v1/users/${ada.userId}/site_assignments`).expect(200)).body.data).toEqual([]);
    const snap = await t.snapshot();
    expectProblem(await t.api.delete(`/api/v1/sites/${hq}/assignments/${ada.userId}`), 404, 'not_found');
    expect(await t.snapshot()).toEqual(snap);
    // The membership stays.
    expect((await t.api.get(`/api/v1/memberships/${ada.membershipId}`).expect(200)).body.state).toBe('active');
  });

  it("deleting a site removes its assignments, and nobody else's", async () => {
    const annex = await createSite(t, acme, 'Annex');
    const bob = await seedMember(t, acme, { email: 'bob@acme.example' });
    await put(hq, ada.userId, { role: 'member' }).expect(200);
    await put(hq, bob.userId, { role: 'admin' }).expect(200);
    await put(annex, ada.userId, { role: 'admin' }).expect(200);

    await t.api.delete(`/api/v1/sites/${hq}`).expect(204);
    expect((await t.api.get(`/api/v1/users/${ada.userId}/site_assignments`).expect(200)).body.data.map((a: { site_id: string }) => a.site_id)).toEqual([annex]);
    expect((await t.api.get(`/api/v1/users/${bob.userId}/site_assignments`).expect(200)).body.data).toEqual([]);
    expect(await t.app.db.selectFrom('site_assignments').select('site_id').execute()).toEqual([{ site_id: annex }]);
    expectProblem(await put(hq, ada.userId, { role: 'member' }), 404, 'not_found');
  });

  it('deleting an org keeps its users but removes their memberships and assignments there', async () => {
    const globex = await createOrg(t, 'Globex');
    const globexSite = await createSite(t, globex, 'Globex HQ');
    const inGlobex = await seedMember(t, globex, { email: 'ada@acme.example' });
    await put(hq, ada.userId, { role: 'member' }).expect(200);
    await put(globexSite, ada.userId, { role: 'admin' }).expect(200);

    await t.api.delete(`/api/v1/organizations/${acme}`).expect(204);
    const user = await t.api.get(`/api/v1/users/${ada.userId}`).expect(200);
    expect(user.body.email).toBe('ada@acme.example');
    expectProblem(await t.api.get(`/api/v1/memberships/${ada.membershipId}`), 404, 'not_found');
    expect((await t.api.get(`/api/v1/memberships/${inGlobex.membershipId}`).expect(200)).body.organization_id).toBe(globex);
    expect((await t.api.get(`/api/v1/users/${ada.userId}/site_assignments`).expect(200)).body.data.map((a: { site_id: string }) => a.site_id)).toEqual([globexSite]);
    expect((await t.api.get(`/api/v1/users?organization_id=${acme}`).expect(200)).body.data).toEqual([]);
    expect(await t.app.db.selectFrom('memberships').select('organization_id').execute()).toEqual([{ organization_id: globex }]);
  });

  it('needs the API key', async () => {
    await put(hq, ada.userId, { role: 'member' }).expect(200);
    const before = await t.snapshot();
    await t.http.put(`/api/v1/sites/${hq}/assignments/${ada.userId}`).send({ role: 'admin' }).expect(401);
    await t.http.delete(`/api/v1/sites/${hq}/assignments/${ada.userId}`).expect(401);
    await t.http.get(`/api/v1/users/${ada.userId}/site_assignments`).expect(401);
    expect(await t.snapshot()).toEqual(before);
  });
});

describe('site assignments with SITE_ROLES=viewer,manager', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  it('accepts the configured roles and refuses the defaults', async () => {
    t = await createTestApp({ SITE_ROLES: 'viewer,manager' });
    const acme = await createOrg(t, 'Acme');
    const hq = await createSite(t, acme, 'HQ');
    const { userId } = await seedMember(t, acme, { email: 'ada@acme.example' });
    const before = await t.snapshot();
    for (const role of ['member', 'admin']) {
      const res = await t.api.put(`/api/v1/sites/${hq}/assignments/${userId}`, { role });
      expectProblem(res, 422, 'validation_failed', undefined, role);
      expect(res.body.errors[0], role).toEqual({ field: 'role', code: 'invalid_site_role', message: `role must be one of viewer, manager (got "${role}").` });
    }
    expect(await t.snapshot()).toEqual(before);
    expect((await t.api.put(`/api/v1/sites/${hq}/assignments/${userId}`, { role: 'viewer' }).expect(200)).body.role).toBe('viewer');
    const updated = await t.api.put(`/api/v1/sites/${hq}/assignments/${userId}`, { role: 'manager' }).expect(200);
    expect(updated.body).toMatchObject({ role: 'manager', site_name: 'HQ' });
    expect((await allEvents(t)).slice(-2).map((e) => [e.type, e.data.role])).toEqual([['site_assignment.created', 'viewer'], ['site_assignment.updated', 'manager']]);
  });
});
