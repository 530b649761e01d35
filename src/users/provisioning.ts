/**
 * The ONE writer of users, memberships and site assignments, whatever the source (JIT sign-in, SCIM,
 * invitation, admin, API). Every rule about who belongs where lives here, so sources cannot drift.
 */
import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import type { DisabledBy, Membership, MembershipSource, OrgRole, RoleSource, SiteAssignment, User } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { AppError, conflict, fieldInvalid, notFound } from '../http/errors.ts';
import { getSite } from '../orgs/sites.service.ts';
import { findMembership, findUserByEmail, getMembership, getUser } from './users.repository.ts';

export interface ProfileInput {
  email: string;
  email_verified?: boolean;
  first_name?: string | null;
  last_name?: string | null;
}

/** Finds the person by email or creates them; names given here fill in or update the profile. */
export async function upsertUser(db: Executor, { ctx, actor }: Call, profile: ProfileInput): Promise<{ user: User; created: boolean }> {
  const email = profile.email.trim().toLowerCase();
  const now = ctx.clock.now().toISOString();
  const existing = await findUserByEmail(db, email);
  if (existing) {
    const changes: Partial<User> = {};
    if (profile.first_name !== undefined && profile.first_name !== existing.first_name) changes.first_name = profile.first_name;
    if (profile.last_name !== undefined && profile.last_name !== existing.last_name) changes.last_name = profile.last_name;
    if (profile.email_verified && existing.email_verified === 0) changes.email_verified = 1;
    if (Object.keys(changes).length === 0) return { user: existing, created: false };
    await db.updateTable('users').set({ ...changes, updated_at: now }).where('id', '=', existing.id).execute();
    return { user: { ...existing, ...changes, updated_at: now }, created: false };
  }
  const user: User = {
    id: newId('user'),
    email,
    email_verified: profile.email_verified ? 1 : 0,
    first_name: profile.first_name ?? null,
    last_name: profile.last_name ?? null,
    password_hash: null,
    password_set_at: null,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('users').values(user).execute();
  await recordEvent(db, ctx.clock, { type: 'user.created', organizationId: null, actor, data: { user_id: user.id, email } });
  return { user, created: true };
}

/** Changes the person's email (a directory renamed their mailbox); refused when another person has it. */
export async function changeUserEmail(db: Executor, { ctx, actor }: Call, userId: string, email: string): Promise<'changed' | 'unchanged' | 'taken'> {
  const address = email.trim().toLowerCase();
  const user = await getUser(db, userId);
  if (user.email === address) return 'unchanged';
  const other = await findUserByEmail(db, address);
  if (other) return 'taken';
  const now = ctx.clock.now().toISOString();
  await db.updateTable('users').set({ email: address, email_verified: 0, updated_at: now }).where('id', '=', userId).execute();
  await recordEvent(db, ctx.clock, { type: 'user.email_changed', organizationId: null, actor, data: { user_id: userId, previous_email: user.email, email: address } });
  return 'changed';
}

/** Sets the person's password (already hashed by users/passwords.ts). */
export async function setPasswordHash(db: Executor, { ctx }: Call, userId: string, passwordHash: string): Promise<void> {
  const now = ctx.clock.now().toISOString();
  await db.updateTable('users').set({ password_hash: passwordHash, password_set_at: now, updated_at: now }).where('id', '=', userId).execute();
}

/** Makes the person a member of the org if they are not one yet; an existing membership is left as it is. */
export async function ensureMembership(
  db: Executor,
  { ctx, actor }: Call,
  input: { organizationId: string; userId: string; role: OrgRole; source: MembershipSource; roleSource?: RoleSource },
): Promise<{ membership: Membership; created: boolean }> {
  const existing = await findMembership(db, input.organizationId, input.userId);
  if (existing) return { membership: existing, created: false };
  const now = ctx.clock.now().toISOString();
  const membership: Membership = {
    id: newId('mem'),
    organization_id: input.organizationId,
    user_id: input.userId,
    role: input.role,
    state: 'active',
    disabled_by: null,
    disabled_at: null,
    source: input.source,
    // A new admin was made one by a person (an invitation, the API): that choice is theirs. A new member's
    // role is the default, which a group mapping may still change.
    role_source: input.roleSource ?? (input.role === 'member' ? 'default' : 'manual'),
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('memberships').values(membership).execute();
  await recordEvent(db, ctx.clock, {
    type: 'membership.created',
    organizationId: input.organizationId,
    actor,
    data: { membership_id: membership.id, user_id: input.userId, role: input.role, source: input.source },
  });
  return { membership, created: true };
}

/**
 * Sets the org role. A person's change (`manual`, the default) also takes the role out of group
 * mappings' hands, whatever the role; a mapping's change never overrides a role a person set.
 */
export async function setMembershipRole(
  db: Executor,
  { ctx, actor }: Call,
  membershipId: string,
  role: OrgRole,
  roleSource: 'manual' | 'group_mapping' = 'manual',
): Promise<Membership> {
  const membership = await getMembership(db, membershipId);
  if (roleSource === 'group_mapping' && membership.role_source === 'manual') return membership;
  if (membership.role === role) {
    if (membership.role_source !== roleSource && roleSource === 'manual') {
      await db.updateTable('memberships').set({ role_source: roleSource }).where('id', '=', membershipId).execute();
      return { ...membership, role_source: roleSource };
    }
    return membership;
  }
  const now = ctx.clock.now().toISOString();
  await db.updateTable('memberships').set({ role, role_source: roleSource, updated_at: now }).where('id', '=', membershipId).execute();
  await recordEvent(db, ctx.clock, {
    type: 'membership.updated',
    organizationId: membership.organization_id,
    actor,
    data: { membership_id: membershipId, user_id: membership.user_id, role, previous_role: membership.role },
  });
  return { ...membership, role, role_source: roleSource, updated_at: now };
}

/**
 * Disables a membership (never deletes: history stays). An admin's disable wins over the directory's:
 * a directory disable of an admin-disabled membership changes nothing.
 */
export async function disableMembership(db: Executor, { ctx, actor }: Call, membershipId: string, by: DisabledBy): Promise<Membership> {
  const membership = await getMembership(db, membershipId);
  if (membership.state === 'disabled' && (membership.disabled_by === 'admin' || by === 'directory')) return membership;
  const now = ctx.clock.now().toISOString();
  const update = { state: 'disabled' as const, disabled_by: by, disabled_at: membership.disabled_at ?? now, updated_at: now };
  await db.updateTable('memberships').set(update).where('id', '=', membershipId).execute();
  await recordEvent(db, ctx.clock, {
    type: 'membership.disabled',
    organizationId: membership.organization_id,
    actor,
    data: { membership_id: membershipId, user_id: membership.user_id, disabled_by: by },
  });
  return { ...membership, ...update };
}

/**
 * Enables a membership. The directory re-enables only what the directory disabled; an admin's disable
 * sticks until an admin enables it. Returns 'kept-disabled' when the rule holds the membership back.
 */
export async function enableMembership(
  db: Executor,
  { ctx, actor }: Call,
  membershipId: string,
  by: DisabledBy,
): Promise<{ membership: Membership; outcome: 'enabled' | 'already-active' | 'kept-disabled' }> {
  const membership = await getMembership(db, membershipId);
  if (membership.state === 'active') return { membership, outcome: 'already-active' };
  if (by === 'directory' && membership.disabled_by === 'admin') return { membership, outcome: 'kept-disabled' };
  const now = ctx.clock.now().toISOString();
  const update = { state: 'active' as const, disabled_by: null, disabled_at: null, updated_at: now };
  await db.updateTable('memberships').set(update).where('id', '=', membershipId).execute();
  await recordEvent(db, ctx.clock, {
    type: 'membership.enabled',
    organizationId: membership.organization_id,
    actor,
    data: { membership_id: membershipId, user_id: membership.user_id, enabled_by: by },
  });
  return { membership: { ...membership, ...update }, outcome: 'enabled' };
}

/** Puts the person on a site with a site role; the person must be a member of the site's org. */
export async function assignSite(
  db: Executor,
  { ctx, actor }: Call,
  input: { siteId: string; userId: string; role: string; source: SiteAssignment['source'] },
): Promise<{ assignment: SiteAssignment; outcome: 'created' | 'updated' | 'unchanged' }> {
  if (!ctx.config.siteRoles.includes(input.role)) {
    throw fieldInvalid('role', 'invalid_site_role', `role must be one of ${ctx.config.siteRoles.join(', ')} (got "${input.role}").`);
  }
  const site = await getSite(db, input.siteId);
  await getUser(db, input.userId);
  // idor check: a site of one org never holds a person who is not a member of that org.
  const membership = await findMembership(db, site.organization_id, input.userId);
  if (!membership) throw new AppError(422, 'not_a_member', `User ${input.userId} is not a member of the organization that owns site ${site.id}.`);
  const now = ctx.clock.now().toISOString();
  const existing = await db.selectFrom('site_assignments').selectAll().where('site_id', '=', input.siteId).where('user_id', '=', input.userId).executeTakeFirst();
  if (existing) {
    // A manual assignment is a decision that a group mapping does not overwrite.
    if (existing.role === input.role && (existing.source === input.source || existing.source === 'manual')) return { assignment: existing, outcome: 'unchanged' };
    if (existing.source === 'manual' && input.source === 'group_mapping') return { assignment: existing, outcome: 'unchanged' };
    const update = { role: input.role, source: input.source, updated_at: now };
    await db.updateTable('site_assignments').set(update).where('id', '=', existing.id).execute();
    await recordEvent(db, ctx.clock, {
      type: 'site_assignment.updated',
      organizationId: site.organization_id,
      actor,
      data: { site_id: site.id, user_id: input.userId, role: input.role, previous_role: existing.role },
    });
    return { assignment: { ...existing, ...update }, outcome: 'updated' };
  }
  const assignment: SiteAssignment = {
    id: newId('sa'),
    organization_id: site.organization_id,
    site_id: site.id,
    user_id: input.userId,
    role: input.role,
    source: input.source,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('site_assignments').values(assignment).execute();
  await recordEvent(db, ctx.clock, { type: 'site_assignment.created', organizationId: site.organization_id, actor, data: { site_id: site.id, user_id: input.userId, role: input.role } });
  return { assignment, outcome: 'created' };
}

export async function unassignSite(db: Executor, { ctx, actor }: Call, siteId: string, userId: string): Promise<void> {
  const site = await getSite(db, siteId);
  const existing = await db.selectFrom('site_assignments').selectAll().where('site_id', '=', siteId).where('user_id', '=', userId).executeTakeFirst();
  if (!existing) throw notFound('site assignment', `${siteId}/${userId}`);
  await db.deleteFrom('site_assignments').where('id', '=', existing.id).execute();
  await recordEvent(db, ctx.clock, { type: 'site_assignment.deleted', organizationId: site.organization_id, actor, data: { site_id: siteId, user_id: userId, role: existing.role } });
}

/** Whether the acting person is the member this membership belongs to. */
const actsOnSelf = ({ actor }: Call, membership: Membership) => actor.type === 'user' && actor.id === membership.user_id;

/**
 * The acting person is still an active admin of the org, read in the change's own transaction: two
 * admins demoting or disabling each other at the same moment would otherwise both pass the checks made
 * before the transaction and leave the org without an admin.
 */
async function assertStillAdmin(db: Executor, { actor }: Call, organizationId: string): Promise<void> {
  if (actor.type !== 'user') return;
  const own = await findMembership(db, organizationId, actor.id);
  if (!own || own.state !== 'active' || own.role !== 'admin') {
    throw new AppError(403, 'not_an_admin', 'You are no longer an administrator of this organization. Nothing was changed.');
  }
}

/**
 * An admin changing an org role by hand (the console). The same writer as setMembershipRole, after the
 * rule that keeps an org from locking itself out: nobody takes away their own admin role, so the
 * person making the change always leaves at least one admin behind.
 */
export async function setMembershipRoleAsAdmin(db: Executor, call: Call, membershipId: string, role: OrgRole): Promise<Membership> {
  const membership = await getMembership(db, membershipId);
  await assertStillAdmin(db, call, membership.organization_id);
  if (actsOnSelf(call, membership) && role !== 'admin') {
    throw conflict('cannot_demote_self', 'You cannot remove your own administrator role. Another administrator has to do it, so the organization is never left without one.');
  }
  return setMembershipRole(db, call, membershipId, role, 'manual');
}

/** Why nobody disables their own access (said by the service and by the console's page that would ask). */
export const CANNOT_DISABLE_SELF = 'You cannot disable your own access. Another administrator has to do it, so the organization is never left without one.';

/** An admin disabling a membership (the console): disabled_by admin, and never their own (see above). */
export async function disableMembershipAsAdmin(db: Executor, call: Call, membershipId: string): Promise<Membership> {
  const membership = await getMembership(db, membershipId);
  await assertStillAdmin(db, call, membership.organization_id);
  if (actsOnSelf(call, membership)) {
    throw conflict('cannot_disable_self', CANNOT_DISABLE_SELF);
  }
  return disableMembership(db, call, membershipId, 'admin');
}
