import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import type { Directory, OrgRole } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { fieldInvalid } from '../http/errors.ts';
import { assignSite, setMembershipRole, unassignSite } from '../users/provisioning.ts';
import { findMembership } from '../users/users.repository.ts';

export interface GroupMapping {
  group: string;
  org_role?: OrgRole | null;
  sites?: Array<{ site_id: string; role: string }>;
}

export async function listGroupMappings(db: Executor, directoryId: string): Promise<GroupMapping[]> {
  const rows = await db.selectFrom('group_mappings').selectAll().where('directory_id', '=', directoryId).orderBy('position').execute();
  return rows.map((r) => ({ group: r.group_ref, org_role: r.org_role, sites: JSON.parse(r.sites) as GroupMapping['sites'] }));
}

/** Replaces the directory's mappings (validated: sites of this org only, known site roles), then re-applies them to everyone. */
export async function replaceGroupMappings(db: Executor, call: Call, directory: Directory, mappings: GroupMapping[]): Promise<GroupMapping[]> {
  const roles = call.ctx.config.siteRoles;
  for (const [i, mapping] of mappings.entries()) {
    for (const [j, site] of (mapping.sites ?? []).entries()) {
      // idor check: a mapping may only name sites of the directory's own organization.
      const owned = await db.selectFrom('sites').select('id').where('id', '=', site.site_id).where('organization_id', '=', directory.organization_id).executeTakeFirst();
      if (!owned) throw fieldInvalid(`${i}.sites.${j}.site_id`, 'unknown_site', `Site ${site.site_id} is not a site of this organization.`);
      if (!roles.includes(site.role)) throw fieldInvalid(`${i}.sites.${j}.role`, 'invalid_site_role', `role must be one of ${roles.join(', ')} (got "${site.role}").`);
    }
  }
  await db.deleteFrom('group_mappings').where('directory_id', '=', directory.id).execute();
  const now = call.ctx.clock.now().toISOString();
  for (const [position, mapping] of mappings.entries()) {
    await db
      .insertInto('group_mappings')
      .values({ id: newId('gmap'), directory_id: directory.id, group_ref: mapping.group, org_role: mapping.org_role ?? null, sites: JSON.stringify(mapping.sites ?? []), position, created_at: now })
      .execute();
  }
  await recordEvent(db, call.ctx.clock, { type: 'directory.group_mappings_updated', organizationId: directory.organization_id, actor: call.actor, data: { directory_id: directory.id, mappings: mappings.length } });
  const everyone = await db.selectFrom('scim_users').select('id').where('directory_id', '=', directory.id).where('deleted_at', 'is', null).execute();
  await applyGroupMappings(db, call, directory, everyone.map((u) => u.id));
  return listGroupMappings(db, directory.id);
}

async function hasMappedState(db: Executor, organizationId: string): Promise<boolean> {
  const assignment = await db.selectFrom('site_assignments').select('id').where('organization_id', '=', organizationId).where('source', '=', 'group_mapping').limit(1).executeTakeFirst();
  if (assignment) return true;
  const role = await db.selectFrom('memberships').select('id').where('organization_id', '=', organizationId).where('role_source', '=', 'group_mapping').limit(1).executeTakeFirst();
  return Boolean(role);
}

/**
 * Brings each person's org role and mapped site assignments in line with the groups they are in now.
 * Assignments made by hand are never touched (assignSite keeps manual ones; only group_mapping ones
 * are removed); a role set by hand is never overridden.
 */
export async function applyGroupMappings(db: Executor, call: Call, directory: Directory, scimUserIds: string[]): Promise<void> {
  const mappings = await listGroupMappings(db, directory.id);
  // No mappings and nothing a mapping once set: there is nothing to apply or undo for anyone.
  if (!mappings.length && !(await hasMappedState(db, directory.organization_id))) return;
  const siteRank = (role: string) => call.ctx.config.siteRoles.indexOf(role);
  for (const scimUserId of new Set(scimUserIds)) {
    const person = await db.selectFrom('scim_users').select(['user_id', 'deleted_at', 'active']).where('id', '=', scimUserId).executeTakeFirst();
    if (!person) continue;
    const groups = person.deleted_at
      ? []
      : await db
          .selectFrom('scim_group_members')
          .innerJoin('scim_groups', 'scim_groups.id', 'scim_group_members.group_id')
          .select(['scim_groups.id', 'scim_groups.display_name_key'])
          .where('scim_group_members.scim_user_id', '=', scimUserId)
          .execute();
    const matching = mappings.filter((m) => groups.some((g) => g.id === m.group || g.display_name_key === m.group.toLowerCase()));
    const membership = await findMembership(db, directory.organization_id, person.user_id);
    if (!membership) continue;

    const mappedRoles = matching.map((m) => m.org_role).filter((r): r is OrgRole => Boolean(r));
    const wantedRole: OrgRole = mappedRoles.includes('admin') ? 'admin' : 'member';
    if (mappedRoles.length || membership.role_source === 'group_mapping') {
      await setMembershipRole(db, call, membership.id, wantedRole, 'group_mapping');
    }

    const wantedSites = new Map<string, string>();
    for (const mapping of matching) {
      for (const site of mapping.sites ?? []) {
        const current = wantedSites.get(site.site_id);
        if (!current || siteRank(site.role) > siteRank(current)) wantedSites.set(site.site_id, site.role);
      }
    }
    const existing = await db.selectFrom('site_assignments').select(['site_id', 'source']).where('user_id', '=', person.user_id).where('organization_id', '=', directory.organization_id).execute();
    for (const assignment of existing) {
      if (assignment.source === 'group_mapping' && !wantedSites.has(assignment.site_id)) await unassignSite(db, call, assignment.site_id, person.user_id);
    }
    for (const [siteId, role] of wantedSites) await assignSite(db, call, { siteId, userId: person.user_id, role, source: 'group_mapping' });
  }
}
