import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import type { Directory, ScimUser } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { emailDomain } from '../orgs/domain-name.ts';
import { verifiedOwner } from '../orgs/domains.service.ts';
import { changeUserEmail, disableMembership, enableMembership, ensureMembership, upsertUser } from '../users/provisioning.ts';
import { findMembership, findUserByEmail, getUser } from '../users/users.repository.ts';
import { applyGroupMappings } from './group-mappings.service.ts';
import { ScimError, scimNotFound, type ScimType } from './scim.errors.ts';
import type { GroupRef, UserInput } from './scim-user.mapper.ts';

const dsyncData = (directory: Directory, row: Pick<ScimUser, 'id' | 'user_id' | 'user_name'>) => ({ directory_id: directory.id, scim_user_id: row.id, user_id: row.user_id, user_name: row.user_name });

/** The scim_users columns a SCIM User sets (the same for a create and a replace). */
function userColumns(input: UserInput) {
  return {
    user_name: input.userName,
    user_name_key: input.userName.toLowerCase(),
    external_id: input.externalId,
    active: input.active ? 1 : 0,
    given_name: input.givenName,
    family_name: input.familyName,
    display_name: input.displayName,
    raw: JSON.stringify(input.raw),
  };
}

export async function findScimUser(db: Executor, directory: Directory, id: string): Promise<ScimUser> {
  // idor check: the resource must belong to the directory the token was issued for.
  const row = await db.selectFrom('scim_users').selectAll().where('id', '=', id).where('directory_id', '=', directory.id).where('deleted_at', 'is', null).executeTakeFirst();
  if (!row) throw scimNotFound('User', id);
  return row;
}

export async function groupsOfUsers(db: Executor, scimUserIds: string[]): Promise<Map<string, GroupRef[]>> {
  const map = new Map<string, GroupRef[]>();
  if (!scimUserIds.length) return map;
  const rows = await db
    .selectFrom('scim_group_members')
    .innerJoin('scim_groups', 'scim_groups.id', 'scim_group_members.group_id')
    .select(['scim_group_members.scim_user_id', 'scim_groups.id', 'scim_groups.display_name'])
    .where('scim_group_members.scim_user_id', 'in', scimUserIds)
    .orderBy('scim_groups.display_name')
    .execute();
  for (const row of rows) map.set(row.scim_user_id, [...(map.get(row.scim_user_id) ?? []), { id: row.id, display_name: row.display_name }]);
  return map;
}

/** A user write the directory may not make; the router logs it (dsync.user.refused) after the rollback. */
export class ScimUserRefused extends ScimError {
  readonly userName: string;
  constructor(detail: string, userName: string, reason: string, scimType: ScimType = 'invalidValue') {
    super(400, detail, scimType, reason);
    this.name = 'ScimUserRefused';
    this.userName = userName;
  }
}

/**
 * Written in its own transaction: the refused write's transaction rolls back, and an event recorded
 * inside it would roll back with it.
 */
export async function recordUserRefused(db: Executor, call: Call, directory: Directory, refusal: ScimUserRefused): Promise<void> {
  await recordEvent(db, call.ctx.clock, { type: 'dsync.user.refused', organizationId: directory.organization_id, actor: call.actor, data: { directory_id: directory.id, user_name: refusal.userName, reason: refusal.reason ?? 'refused' } });
}

/**
 * An email on a domain another organization has verified belongs to that organization: a directory
 * may not provision it here (DESIGN.md: an identity is only accepted on the org's own domains).
 */
async function assertEmailAllowed(db: Executor, directory: Directory, input: UserInput): Promise<void> {
  const owner = await verifiedOwner(db, emailDomain(input.email));
  if (owner && owner !== directory.organization_id) {
    throw new ScimUserRefused(
      `${input.email} is on a domain verified by another organization; this directory cannot provision it (email_outside_organization_domains).`,
      input.userName,
      'email_outside_organization_domains',
    );
  }
}

async function assertUserNameFree(db: Executor, directory: Directory, userName: string, exceptId?: string): Promise<void> {
  let query = db.selectFrom('scim_users').select('id').where('directory_id', '=', directory.id).where('user_name_key', '=', userName.toLowerCase()).where('deleted_at', 'is', null);
  if (exceptId) query = query.where('id', '!=', exceptId);
  const clash = await query.executeTakeFirst();
  if (clash) throw new ScimError(409, `userName ${userName} is already taken by ${clash.id}.`, 'uniqueness');
}

async function writeEmails(db: Executor, scimUserId: string, input: UserInput): Promise<void> {
  await db.deleteFrom('scim_user_emails').where('scim_user_id', '=', scimUserId).execute();
  for (const [position, email] of input.emails.entries()) {
    await db.insertInto('scim_user_emails').values({ scim_user_id: scimUserId, position, value: email.value, value_key: email.value.toLowerCase(), type: email.type, primary: email.primary ? 1 : 0 }).execute();
  }
}

/** Puts the person in exactly these groups of the directory (ids of other directories are ignored). */
export async function setUserGroups(db: Executor, directory: Directory, scimUserId: string, groupIds: string[]): Promise<void> {
  const valid = groupIds.length
    ? (await db.selectFrom('scim_groups').select('id').where('directory_id', '=', directory.id).where('id', 'in', groupIds).execute()).map((g) => g.id)
    : [];
  await db.deleteFrom('scim_group_members').where('scim_user_id', '=', scimUserId).execute();
  for (const groupId of new Set(valid)) await db.insertInto('scim_group_members').values({ group_id: groupId, scim_user_id: scimUserId }).execute();
}

/** Applies `active` through provisioning: the directory disables, and re-enables only what it disabled. */
async function applyActive(db: Executor, call: Call, directory: Directory, row: Pick<ScimUser, 'id' | 'user_id' | 'user_name'>, active: boolean): Promise<void> {
  const membership = await findMembership(db, directory.organization_id, row.user_id);
  if (!membership) return;
  if (!active && membership.state === 'active') {
    await disableMembership(db, call, membership.id, 'directory');
    await recordEvent(db, call.ctx.clock, { type: 'dsync.user.disabled', organizationId: directory.organization_id, actor: call.actor, data: dsyncData(directory, row) });
  } else if (active && membership.state === 'disabled') {
    const { outcome } = await enableMembership(db, call, membership.id, 'directory');
    if (outcome === 'enabled') await recordEvent(db, call.ctx.clock, { type: 'dsync.user.enabled', organizationId: directory.organization_id, actor: call.actor, data: dsyncData(directory, row) });
  }
}

/** Whether the person also belongs to an organization other than the directory's. */
async function belongsElsewhere(db: Executor, directory: Directory, userId: string): Promise<boolean> {
  const other = await db.selectFrom('memberships').select('organization_id').where('user_id', '=', userId).where('organization_id', '!=', directory.organization_id).executeTakeFirst();
  return Boolean(other);
}

/**
 * The person's name follows the directory only while the person belongs to the directory's org alone:
 * a directory does not rewrite the profile another organization's people see.
 */
async function updateProfile(db: Executor, call: Call, directory: Directory, userId: string, input: UserInput): Promise<void> {
  if (await belongsElsewhere(db, directory, userId)) return;
  await upsertUser(db, call, { email: input.email, first_name: input.givenName ?? undefined, last_name: input.familyName ?? undefined });
}

export async function createScimUser(db: Executor, call: Call, directory: Directory, input: UserInput): Promise<ScimUser> {
  await assertUserNameFree(db, directory, input.userName);
  await assertEmailAllowed(db, directory, input);
  // The person is found by email (re-creating a deleted userName, or a person invited earlier, is the same person).
  const existing = await findUserByEmail(db, input.email);
  const shared = existing ? await belongsElsewhere(db, directory, existing.id) : false;
  const { user } = await upsertUser(db, call, shared ? { email: input.email } : { email: input.email, first_name: input.givenName ?? undefined, last_name: input.familyName ?? undefined });
  const twin = await db.selectFrom('scim_users').select(['id', 'user_name']).where('directory_id', '=', directory.id).where('user_id', '=', user.id).where('deleted_at', 'is', null).executeTakeFirst();
  if (twin) throw new ScimError(409, `${input.email} is already provisioned in this directory as ${twin.user_name} (${twin.id}).`, 'uniqueness');
  const now = call.ctx.clock.now().toISOString();
  const row: ScimUser = {
    id: newId('dsu'),
    directory_id: directory.id,
    user_id: user.id,
    ...userColumns(input),
    version: 1,
    deleted_at: null,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('scim_users').values(row).execute();
  await writeEmails(db, row.id, input);
  await ensureMembership(db, call, { organizationId: directory.organization_id, userId: user.id, role: 'member', source: 'directory' });
  await recordEvent(db, call.ctx.clock, { type: 'dsync.user.created', organizationId: directory.organization_id, actor: call.actor, data: dsyncData(directory, row) });
  await applyActive(db, call, directory, row, input.active);
  if (input.groups) await setUserGroups(db, directory, row.id, input.groups);
  await applyGroupMappings(db, call, directory, [row.id]);
  return row;
}

/** PUT semantics (PATCH arrives here too, after the patch is applied to the current representation); `groups` is ignored. */
export async function replaceScimUser(db: Executor, call: Call, directory: Directory, current: ScimUser, input: UserInput): Promise<ScimUser> {
  if (input.userName.toLowerCase() !== current.user_name_key) await assertUserNameFree(db, directory, input.userName, current.id);
  await assertEmailAllowed(db, directory, input);
  const person = await getUser(db, current.user_id);
  if (person.email !== input.email) {
    // The email is the person's sign-in identity in every org: a directory only speaks for people who
    // belong to its org alone, or it could move another org's member (even an admin) to an address it controls.
    if (await belongsElsewhere(db, directory, current.user_id)) {
      throw new ScimUserRefused(
        `${person.email} also belongs to another organization; this directory cannot change that person's email (email_shared_with_other_organizations).`,
        input.userName,
        'email_shared_with_other_organizations',
        'mutability',
      );
    }
    const changed = await changeUserEmail(db, call, current.user_id, input.email);
    if (changed === 'taken') throw new ScimError(409, `${input.email} already belongs to another person in Gatehouse.`, 'uniqueness');
  }
  await updateProfile(db, call, directory, current.user_id, input);
  const now = call.ctx.clock.now().toISOString();
  const update = {
    ...userColumns(input),
    version: current.version + 1,
    updated_at: now,
  };
  await db.updateTable('scim_users').set(update).where('id', '=', current.id).execute();
  await writeEmails(db, current.id, input);
  const row = { ...current, ...update };
  await recordEvent(db, call.ctx.clock, { type: 'dsync.user.updated', organizationId: directory.organization_id, actor: call.actor, data: dsyncData(directory, row) });
  await applyActive(db, call, directory, row, input.active);
  // `groups` is read-only on a User (RFC 7643 §4.1.2) and ignored in a PUT (RFC 7644 §3.5.1): Okta's PUT
  // carries the app profile's `groups: []`, which must not empty the groups it pushed through /Groups.
  await applyGroupMappings(db, call, directory, [row.id]);
  return row;
}

/**
 * DELETE: the resource is gone for the directory (404 from now on), the person stays with their
 * membership disabled by the directory and their history kept; they leave every group.
 */
export async function deleteScimUser(db: Executor, call: Call, directory: Directory, current: ScimUser): Promise<void> {
  const now = call.ctx.clock.now().toISOString();
  await db.updateTable('scim_users').set({ deleted_at: now, active: 0, updated_at: now }).where('id', '=', current.id).execute();
  await db.deleteFrom('scim_group_members').where('scim_user_id', '=', current.id).execute();
  await applyActive(db, call, directory, current, false);
  await applyGroupMappings(db, call, directory, [current.id]);
  await recordEvent(db, call.ctx.clock, { type: 'dsync.user.deleted', organizationId: directory.organization_id, actor: call.actor, data: dsyncData(directory, current) });
}
