import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import type { Directory, ScimGroup } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { GROUP_SCHEMA } from './discovery.ts';
import { applyGroupMappings } from './group-mappings.service.ts';
import { pick } from './scim-user.mapper.ts';
import { ScimError, scimNotFound } from './scim.errors.ts';

export interface GroupInput {
  displayName: string;
  externalId: string | null;
  /** Member ids; undefined when `members` was not sent (keep the current members). */
  members: string[] | undefined;
  raw: Record<string, unknown>;
}

export function parseGroupInput(body: unknown): GroupInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ScimError(400, 'The request body must be a SCIM Group object.', 'invalidSyntax');
  const doc = body as Record<string, unknown>;
  const displayName = pick(doc, 'displayName');
  if (typeof displayName !== 'string' || !displayName.trim()) throw new ScimError(400, 'displayName is required.', 'invalidValue');
  if (displayName.length > 300) throw new ScimError(400, 'displayName is longer than 300 characters.', 'invalidValue');
  const externalId = pick(doc, 'externalId');
  if (externalId !== undefined && externalId !== null && typeof externalId !== 'string') throw new ScimError(400, 'externalId must be a string.', 'invalidValue');
  const membersRaw = pick(doc, 'members');
  if (membersRaw !== undefined && membersRaw !== null && !Array.isArray(membersRaw)) throw new ScimError(400, 'members must be an array.', 'invalidValue');
  const members = Array.isArray(membersRaw)
    ? membersRaw.map((m, i) => {
        const value = typeof m === 'string' ? m : pick((m ?? {}) as Record<string, unknown>, 'value');
        if (typeof value !== 'string' || !value) throw new ScimError(400, `members[${i}].value is required.`, 'invalidValue');
        return value;
      })
    : membersRaw === null ? [] : undefined;
  const raw = Object.fromEntries(Object.entries(doc).filter(([k]) => !['id', 'meta', 'members'].includes(k.toLowerCase())));
  return { displayName: displayName.trim(), externalId: (externalId as string | null | undefined) || null, members, raw };
}

export async function findScimGroup(db: Executor, directory: Directory, id: string): Promise<ScimGroup> {
  // idor check: only groups of the token's directory.
  const row = await db.selectFrom('scim_groups').selectAll().where('id', '=', id).where('directory_id', '=', directory.id).executeTakeFirst();
  if (!row) throw scimNotFound('Group', id);
  return row;
}

export async function memberIdsOf(db: Executor, groupId: string): Promise<string[]> {
  return (await db.selectFrom('scim_group_members').select('scim_user_id').where('group_id', '=', groupId).orderBy('scim_user_id').execute()).map((m) => m.scim_user_id);
}

export async function toScimGroup(db: Executor, row: ScimGroup, scimBase: string, options: { members: boolean }): Promise<Record<string, unknown>> {
  const raw = JSON.parse(row.raw) as Record<string, unknown>;
  const members = options.members
    ? await db
        .selectFrom('scim_group_members')
        .innerJoin('scim_users', 'scim_users.id', 'scim_group_members.scim_user_id')
        .select(['scim_users.id', 'scim_users.user_name'])
        .where('scim_group_members.group_id', '=', row.id)
        .orderBy('scim_users.id')
        .execute()
    : undefined;
  return {
    ...raw,
    schemas: [GROUP_SCHEMA],
    id: row.id,
    displayName: row.display_name,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    ...(members ? { members: members.map((m) => ({ value: m.id, display: m.user_name, type: 'User', $ref: `${scimBase}/Users/${m.id}` })) } : {}),
    meta: { resourceType: 'Group', created: row.created_at, lastModified: row.updated_at, location: `${scimBase}/Groups/${row.id}`, version: `W/"${row.version}"` },
  };
}

async function assertNameFree(db: Executor, directory: Directory, displayName: string, exceptId?: string): Promise<void> {
  // Entra ID matches groups by displayName: two groups with one name would be ambiguous.
  let query = db.selectFrom('scim_groups').select('id').where('directory_id', '=', directory.id).where('display_name_key', '=', displayName.toLowerCase());
  if (exceptId) query = query.where('id', '!=', exceptId);
  const clash = await query.executeTakeFirst();
  if (clash) throw new ScimError(409, `A group named "${displayName}" already exists (${clash.id}).`, 'uniqueness');
}

/** Sets the members to exactly `wanted` (ids of this directory's live users; others are refused). */
async function setMembers(db: Executor, directory: Directory, groupId: string, wanted: string[]): Promise<{ added: string[]; removed: string[] }> {
  const unique = [...new Set(wanted)];
  if (unique.length) {
    const known = new Set<string>();
    for (let i = 0; i < unique.length; i += 500) {
      const chunk = unique.slice(i, i + 500);
      const rows = await db.selectFrom('scim_users').select('id').where('directory_id', '=', directory.id).where('deleted_at', 'is', null).where('id', 'in', chunk).execute();
      for (const r of rows) known.add(r.id);
    }
    const missing = unique.filter((id) => !known.has(id));
    if (missing.length) throw new ScimError(400, `No user ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ''} in this directory.`, 'invalidValue');
  }
  const current = new Set(await memberIdsOf(db, groupId));
  const target = new Set(unique);
  const added = unique.filter((id) => !current.has(id));
  const removed = [...current].filter((id) => !target.has(id));
  for (const id of removed) await db.deleteFrom('scim_group_members').where('group_id', '=', groupId).where('scim_user_id', '=', id).execute();
  for (const id of added) await db.insertInto('scim_group_members').values({ group_id: groupId, scim_user_id: id }).execute();
  return { added, removed };
}

export async function createScimGroup(db: Executor, call: Call, directory: Directory, input: GroupInput): Promise<ScimGroup> {
  await assertNameFree(db, directory, input.displayName);
  const now = call.ctx.clock.now().toISOString();
  const row: ScimGroup = {
    id: newId('grp'),
    directory_id: directory.id,
    display_name: input.displayName,
    display_name_key: input.displayName.toLowerCase(),
    external_id: input.externalId,
    raw: JSON.stringify(input.raw),
    version: 1,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('scim_groups').values(row).execute();
  const { added } = await setMembers(db, directory, row.id, input.members ?? []);
  await recordEvent(db, call.ctx.clock, { type: 'dsync.group.created', organizationId: directory.organization_id, actor: call.actor, data: { directory_id: directory.id, group_id: row.id, display_name: row.display_name } });
  await applyGroupMappings(db, call, directory, added);
  return row;
}

export async function replaceScimGroup(db: Executor, call: Call, directory: Directory, current: ScimGroup, input: GroupInput): Promise<ScimGroup> {
  if (input.displayName.toLowerCase() !== current.display_name_key) await assertNameFree(db, directory, input.displayName, current.id);
  const now = call.ctx.clock.now().toISOString();
  const update = { display_name: input.displayName, display_name_key: input.displayName.toLowerCase(), external_id: input.externalId, raw: JSON.stringify(input.raw), version: current.version + 1, updated_at: now };
  await db.updateTable('scim_groups').set(update).where('id', '=', current.id).execute();
  const { added, removed } = input.members === undefined ? { added: [], removed: [] } : await setMembers(db, directory, current.id, input.members);
  await recordEvent(db, call.ctx.clock, {
    type: 'dsync.group.updated',
    organizationId: directory.organization_id,
    actor: call.actor,
    data: { directory_id: directory.id, group_id: current.id, display_name: input.displayName, members_added: added.length, members_removed: removed.length },
  });
  // A rename can change which mappings match: everyone in the group is re-evaluated.
  const affected = input.displayName !== current.display_name ? await memberIdsOf(db, current.id) : [];
  await applyGroupMappings(db, call, directory, [...added, ...removed, ...affected]);
  return { ...current, ...update };
}

export async function deleteScimGroup(db: Executor, call: Call, directory: Directory, current: ScimGroup): Promise<void> {
  const members = await memberIdsOf(db, current.id);
  await db.deleteFrom('scim_groups').where('id', '=', current.id).execute();
  await recordEvent(db, call.ctx.clock, { type: 'dsync.group.deleted', organizationId: directory.organization_id, actor: call.actor, data: { directory_id: directory.id, group_id: current.id, display_name: current.display_name } });
  await applyGroupMappings(db, call, directory, members);
}
