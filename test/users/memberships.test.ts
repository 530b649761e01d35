import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Call } from '../../src/context.ts';
import { disableMembership, enableMembership } from '../../src/users/provisioning.ts';
import { allEvents, createOrg, eventsSince, expectProblem, seedMember, UNKNOWN } from '../helpers/api.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

describe('memberships API', () => {
  let t: TestApp;
  let acme: string;
  beforeEach(async () => {
    t = await createTestApp();
    acme = await createOrg(t, 'Acme');
  });
  afterEach(async () => t.close());

  it("lists an org's memberships with the nested user, and only that org's", async () => {
    const globex = await createOrg(t, 'Globex');
    const ada = await seedMember(t, acme, { email: 'ada@acme.example', first_name: 'Ada', last_name: 'Lovelace' }, { role: 'admin', source: 'invitation' });
    await seedMember(t, globex, { email: 'g@globex.example' });
    const both = await seedMember(t, acme, { email: 'both@example.org' }, { source: 'directory' });
    await seedMember(t, globex, { email: 'both@example.org' });

    const res = await t.api.get(`/api/v1/organizations/${acme}/memberships`).expect(200);
    expect(res.body).toEqual({
      data: [
        {
          id: ada.membershipId,
          organization_id: acme,
          user_id: ada.userId,
          role: 'admin',
          state: 'active',
          disabled_by: null,
          disabled_at: null,
          source: 'invitation',
          user: {
            id: ada.userId,
            email: 'ada@acme.example',
            email_verified: false,
            first_name: 'Ada',
            last_name: 'Lovelace',
            name: 'Ada Lovelace',
            created_at: '2026-12-01T09:00:00.000Z',
            updated_at: '2026-12-01T09:00:00.000Z',
          },
          created_at: '2026-12-01T09:00:00.000Z',
          updated_at: '2026-12-01T09:00:00.000Z',
        },
        expect.objectContaining({ id: both.membershipId, user_id: both.userId, source: 'directory', user: expect.objectContaining({ id: both.userId, email: 'both@example.org', name: null }) }),
      ],
      list_metadata: { after: null },
    });
    expect(ada.membershipId).toMatch(/^mem_[0-9A-HJKMNP-TV-Z]{26}$/);
    // The same view by id.
    await t.api.get(`/api/v1/memberships/${ada.membershipId}`).expect(200, res.body.data[0]);
  });

  it('pages memberships with limit and after', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) ids.push((await seedMember(t, acme, { email: `p${n}@acme.example` })).membershipId!);
    const page1 = await t.api.get(`/api/v1/organizations/${acme}/memberships?limit=2`).expect(200);
    expect(page1.body.data.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 2));
    expect(page1.body.list_metadata).toEqual({ after: ids[1] });
    const page2 = await t.api.get(`/api/v1/organizations/${acme}/memberships?limit=2&after=${ids[1]}`).expect(200);
    expect(page2.body.data.map((m: { user: { email: string } }) => m.user.email)).toEqual(['p3@acme.example', 'p4@acme.example']);
    const page3 = await t.api.get(`/api/v1/organizations/${acme}/memberships?limit=2&after=${page2.body.list_metadata.after}`).expect(200);
    expect(page3.body).toMatchObject({ data: [{ id: ids[4] }], list_metadata: { after: null } });
    expect((await t.api.get(`/api/v1/organizations/${acme}/memberships?limit=5`).expect(200)).body.list_metadata.after).toBeNull();
  });

  it('changes a role with one membership.updated event carrying previous_role', async () => {
    const { userId, membershipId } = await seedMember(t, acme, { email: 'ada@acme.example' });
    t.clock.advance(60_000);
    const before = (await allEvents(t)).length;
    const res = await t.api.patch(`/api/v1/memberships/${membershipId}`, { role: 'admin' }).expect(200);
    expect(res.body).toMatchObject({ id: membershipId, role: 'admin', state: 'active', created_at: '2026-12-01T09:00:00.000Z', updated_at: '2026-12-01T09:01:00.000Z', user: { id: userId } });
    expect(await eventsSince(t, before)).toEqual([
      { type: 'membership.updated', organization_id: acme, actor_type: 'api_key', data: { membership_id: membershipId, user_id: userId, role: 'admin', previous_role: 'member' } },
    ]);
    // The same role again changes nothing and writes no event.
    const snap = await t.snapshot();
    await t.api.patch(`/api/v1/memberships/${membershipId}`, { role: 'admin' }).expect(200);
    expect(await t.snapshot()).toEqual(snap);
    await t.api.patch(`/api/v1/memberships/${membershipId}`, { role: 'member' }).expect(200);
    const last = (await allEvents(t)).at(-1)!;
    expect(last.data).toMatchObject({ role: 'member', previous_role: 'admin' });
    expect((await t.api.get(`/api/v1/memberships/${membershipId}`).expect(200)).body.role).toBe('member');
  });

  it('disables and enables by an admin, with events, and each is idempotent', async () => {
    const { userId, membershipId } = await seedMember(t, acme, { email: 'ada@acme.example' });
    t.clock.set('2026-12-02T10:00:00.000Z');
    let before = (await allEvents(t)).length;
    const disabled = await t.api.post(`/api/v1/memberships/${membershipId}/disable`).expect(200);
    expect(disabled.body).toMatchObject({ id: membershipId, state: 'disabled', disabled_by: 'admin', disabled_at: '2026-12-02T10:00:00.000Z', updated_at: '2026-12-02T10:00:00.000Z', role: 'member' });
    expect(await eventsSince(t, before)).toEqual([
      { type: 'membership.disabled', organization_id: acme, actor_type: 'api_key', data: { membership_id: membershipId, user_id: userId, disabled_by: 'admin' } },
    ]);
    // The list shows it too; the user stays a member of the org (disabled, never deleted).
    expect((await t.api.get(`/api/v1/organizations/${acme}/memberships`).expect(200)).body.data[0]).toMatchObject({ state: 'disabled', disabled_by: 'admin' });
    expect((await t.api.get(`/api/v1/users?organization_id=${acme}`).expect(200)).body.data.map((u: { id: string }) => u.id)).toEqual([userId]);

    let snap = await t.snapshot();
    await t.api.post(`/api/v1/memberships/${membershipId}/disable`).expect(200);
    expect(await t.snapshot()).toEqual(snap);

    t.clock.set('2026-12-03T10:00:00.000Z');
    before = (await allEvents(t)).length;
    const enabled = await t.api.post(`/api/v1/memberships/${membershipId}/enable`).expect(200);
    expect(enabled.body).toMatchObject({ state: 'active', disabled_by: null, disabled_at: null, updated_at: '2026-12-03T10:00:00.000Z' });
    expect(await eventsSince(t, before)).toEqual([
      { type: 'membership.enabled', organization_id: acme, actor_type: 'api_key', data: { membership_id: membershipId, user_id: userId, enabled_by: 'admin' } },
    ]);
    snap = await t.snapshot();
    await t.api.post(`/api/v1/memberships/${membershipId}/enable`).expect(200);
    expect(await t.snapshot()).toEqual(snap);
  });

  it('refuses bad roles and unknown ids with a problem, and writes nothing', async () => {
    const { membershipId } = await seedMember(t, acme, { email: 'ada@acme.example' });
    const before = await t.snapshot();
    const cases: Array<[string, () => Promise<any>, number, string, string | null]> = [
      ['role owner', () => t.api.patch(`/api/v1/memberships/${membershipId}`, { role: 'owner' }), 422, 'validation_failed', 'role'],
      ['role in capitals', () => t.api.patch(`/api/v1/memberships/${membershipId}`, { role: 'ADMIN' }), 422, 'validation_failed', 'role'],
      ['role missing', () => t.api.patch(`/api/v1/memberships/${membershipId}`, {}), 422, 'validation_failed', 'role'],
      ['role not a string', () => t.api.patch(`/api/v1/memberships/${membershipId}`, { role: 1 }), 422, 'validation_failed', 'role'],
      ['unknown field', () => t.api.patch(`/api/v1/memberships/${membershipId}`, { role: 'admin', state: 'disabled' }), 422, 'validation_failed', '(body)'],
      ['unknown membership, patch', () => t.api.patch(`/api/v1/memberships/${UNKNOWN.mem}`, { role: 'admin' }), 404, 'not_found', null],
      ['unknown membership, get', () => t.api.get(`/api/v1/memberships/${UNKNOWN.mem}`), 404, 'not_found', null],
      ['unknown membership, disable', () => t.api.post(`/api/v1/memberships/${UNKNOWN.mem}/disable`), 404, 'not_found', null],
      ['unknown membership, enable', () => t.api.post(`/api/v1/memberships/${UNKNOWN.mem}/enable`), 404, 'not_found', null],
      ['unknown org, list', () => t.api.get(`/api/v1/organizations/${UNKNOWN.org}/memberships`), 404, 'not_found', null],
      ['bad cursor', () => t.api.get(`/api/v1/organizations/${acme}/memberships?after=mem_x`), 400, 'invalid_query', 'after'],
      ['limit over 100', () => t.api.get(`/api/v1/organizations/${acme}/memberships?limit=101`), 400, 'invalid_query', 'limit'],
    ];
    for (const [label, send, status, code, field] of cases) {
      const res = await send();
      expectProblem(res, status, code, undefined, label);
      if (field) expect(res.body.errors.map((e: { field: string }) => e.field), label).toEqual([field]);
      expect(await t.snapshot(), label).toEqual(before);
    }
    const notFound = await t.api.post(`/api/v1/memberships/${UNKNOWN.mem}/disable`);
    expect(notFound.body.detail).toBe(`No membership with id ${UNKNOWN.mem}.`);
    expect((await t.api.patch(`/api/v1/memberships/${membershipId}`, { role: 'owner' })).body.errors[0].message).toBe("role must be member or admin.");
  });

  describe('the directory re-enables only what the directory disabled', () => {
    const directory = (): Call => ({ ctx: t.app.ctx, actor: { type: 'directory', id: 'dir_01M8T247H71E8T82MXYZ8V2G2J' } });
    const state = async (id: string) => (await t.api.get(`/api/v1/memberships/${id}`).expect(200)).body as { state: string; disabled_by: string | null; disabled_at: string | null };

    it('a directory disable is undone by a directory enable', async () => {
      const { userId, membershipId } = await seedMember(t, acme, { email: 'ada@acme.example' }, { source: 'directory' });
      const before = (await allEvents(t)).length;
      const disabled = await t.app.uow((trx) => disableMembership(trx, directory(), membershipId!, 'directory'));
      expect(disabled).toMatchObject({ state: 'disabled', disabled_by: 'directory' });
      expect(await state(membershipId!)).toMatchObject({ state: 'disabled', disabled_by: 'directory', disabled_at: '2026-12-01T09:00:00.000Z' });

      const { outcome, membership } = await t.app.uow((trx) => enableMembership(trx, directory(), membershipId!, 'directory'));
      expect(outcome).toBe('enabled');
      expect(membership).toMatchObject({ state: 'active', disabled_by: null, disabled_at: null });
      expect(await state(membershipId!)).toMatchObject({ state: 'active', disabled_by: null, disabled_at: null });
      expect(await eventsSince(t, before)).toEqual([
        { type: 'membership.disabled', organization_id: acme, actor_type: 'directory', data: { membership_id: membershipId, user_id: userId, disabled_by: 'directory' } },
        { type: 'membership.enabled', organization_id: acme, actor_type: 'directory', data: { membership_id: membershipId, user_id: userId, enabled_by: 'directory' } },
      ]);
      // Enabling an active membership is a no-op.
      const again = await t.app.uow((trx) => enableMembership(trx, directory(), membershipId!, 'directory'));
      expect(again.outcome).toBe('already-active');
    });

    it("an admin's disable sticks: a directory enable returns kept-disabled and changes nothing", async () => {
      const { membershipId } = await seedMember(t, acme, { email: 'ada@acme.example' }, { source: 'directory' });
      await t.api.post(`/api/v1/memberships/${membershipId}/disable`).expect(200);
      const snap = await t.snapshot();
      const { outcome, membership } = await t.app.uow((trx) => enableMembership(trx, directory(), membershipId!, 'directory'));
      expect(outcome).toBe('kept-disabled');
      expect(membership).toMatchObject({ state: 'disabled', disabled_by: 'admin' });
      expect(await t.snapshot()).toEqual(snap);
      expect(await state(membershipId!)).toMatchObject({ state: 'disabled', disabled_by: 'admin' });
      // An admin can still enable it.
      await t.api.post(`/api/v1/memberships/${membershipId}/enable`).expect(200);
      expect(await state(membershipId!)).toMatchObject({ state: 'active', disabled_by: null });
    });

    it('a directory disable of an admin-disabled membership keeps disabled_by admin (and writes nothing)', async () => {
      const { membershipId } = await seedMember(t, acme, { email: 'ada@acme.example' }, { source: 'directory' });
      await t.api.post(`/api/v1/memberships/${membershipId}/disable`).expect(200);
      const snap = await t.snapshot();
      t.clock.advance(3_600_000);
      const result = await t.app.uow((trx) => disableMembership(trx, directory(), membershipId!, 'directory'));
      expect(result).toMatchObject({ state: 'disabled', disabled_by: 'admin' });
      expect(await t.snapshot()).toEqual(snap);
      // ...so a later directory enable still cannot lift it.
      expect((await t.app.uow((trx) => enableMembership(trx, directory(), membershipId!, 'directory'))).outcome).toBe('kept-disabled');
      expect(await state(membershipId!)).toMatchObject({ state: 'disabled', disabled_by: 'admin' });
    });

    it("an admin disabling a directory-disabled membership takes it over, keeping the first disabled_at", async () => {
      const { userId, membershipId } = await seedMember(t, acme, { email: 'ada@acme.example' }, { source: 'directory' });
      await t.app.uow((trx) => disableMembership(trx, directory(), membershipId!, 'directory'));
      t.clock.set('2026-12-05T00:00:00.000Z');
      const before = (await allEvents(t)).length;
      const res = await t.api.post(`/api/v1/memberships/${membershipId}/disable`).expect(200);
      expect(res.body).toMatchObject({ state: 'disabled', disabled_by: 'admin', disabled_at: '2026-12-01T09:00:00.000Z', updated_at: '2026-12-05T00:00:00.000Z' });
      expect(await eventsSince(t, before)).toEqual([
        { type: 'membership.disabled', organization_id: acme, actor_type: 'api_key', data: { membership_id: membershipId, user_id: userId, disabled_by: 'admin' } },
      ]);
      expect((await t.app.uow((trx) => enableMembership(trx, directory(), membershipId!, 'directory'))).outcome).toBe('kept-disabled');
    });

    it('an admin enable lifts a directory disable', async () => {
      const { membershipId } = await seedMember(t, acme, { email: 'ada@acme.example' }, { source: 'directory' });
      await t.app.uow((trx) => disableMembership(trx, directory(), membershipId!, 'directory'));
      const res = await t.api.post(`/api/v1/memberships/${membershipId}/enable`).expect(200);
      expect(res.body).toMatchObject({ state: 'active', disabled_by: null, disabled_at: null });
      expect((await allEvents(t)).at(-1)).toMatchObject({ type: 'membership.enabled', data: { enabled_by: 'admin' } });
    });

    it('a repeated directory disable writes nothing', async () => {
      const { membershipId } = await seedMember(t, acme, { email: 'ada@acme.example' }, { source: 'directory' });
      await t.app.uow((trx) => disableMembership(trx, directory(), membershipId!, 'directory'));
      const snap = await t.snapshot();
      t.clock.advance(60_000);
      await t.app.uow((trx) => disableMembership(trx, directory(), membershipId!, 'directory'));
      expect(await t.snapshot()).toEqual(snap);
    });
  });
});
