import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Call } from '../../src/context.ts';
import { AppError } from '../../src/http/errors.ts';
import { disableMembershipAsAdmin, setMembershipRoleAsAdmin } from '../../src/users/provisioning.ts';
import { getMembership } from '../../src/users/users.repository.ts';
import { createOrg, seedMember } from '../helpers/api.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * The console's role and access changes (users/provisioning.ts ...AsAdmin): whoever makes one must still
 * be an active admin of the org when it is written, so two admins acting on each other at the same
 * moment never leave the org without one; and nobody demotes or disables themselves.
 */
describe('changes an admin makes to memberships', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => t.close());

  const as = (userId: string): Call => ({ ctx: t.app.ctx, actor: { type: 'user', id: userId } });
  const refusal = (err: unknown) => (err instanceof AppError ? { status: err.status, code: err.code } : err);

  it('refuses a change by someone who stopped being an admin, so two admins cannot remove each other', async () => {
    const org = await createOrg(t, 'Acme');
    const ann = await seedMember(t, org, { email: 'ann@acme.test' }, { role: 'admin' });
    const bob = await seedMember(t, org, { email: 'bob@acme.test' }, { role: 'admin' });
    // Ann demotes Bob first; Bob's own demotion of Ann, posted from a page he opened before, arrives after.
    await t.app.uow((trx) => setMembershipRoleAsAdmin(trx, as(ann.userId), bob.membershipId!, 'member'));
    const late = await t.app.uow((trx) => setMembershipRoleAsAdmin(trx, as(bob.userId), ann.membershipId!, 'member')).catch(refusal);
    expect(late).toEqual({ status: 403, code: 'not_an_admin' });
    const lateDisable = await t.app.uow((trx) => disableMembershipAsAdmin(trx, as(bob.userId), ann.membershipId!)).catch(refusal);
    expect(lateDisable).toEqual({ status: 403, code: 'not_an_admin' });
    expect(await getMembership(t.app.db, ann.membershipId!)).toMatchObject({ role: 'admin', state: 'active' });
  });

  it('refuses an admin demoting or disabling themselves', async () => {
    const org = await createOrg(t, 'Acme');
    const ann = await seedMember(t, org, { email: 'ann@acme.test' }, { role: 'admin' });
    expect(await t.app.uow((trx) => setMembershipRoleAsAdmin(trx, as(ann.userId), ann.membershipId!, 'member')).catch(refusal)).toEqual({ status: 409, code: 'cannot_demote_self' });
    expect(await t.app.uow((trx) => disableMembershipAsAdmin(trx, as(ann.userId), ann.membershipId!)).catch(refusal)).toEqual({ status: 409, code: 'cannot_disable_self' });
  });
});
