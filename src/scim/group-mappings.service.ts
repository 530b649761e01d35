import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import type { Directory, OrgRole, RoleSource } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { fieldInvalid } from '../http/errors.ts';
import { assignSite, setMembershipRole, unassignSite } from '../users/provisioning.ts';
import { findMembership, fullName } from '../users/users.repository.ts';

export interface GroupMapping {
  group: string;
  org_role?: OrgRole | null;
  sites?: Array<{ site_id: string; role: string }>;
}

/** A stored mapping row as the API and the rules see it (its sites are JSON in the row). */
const toGroupMapping = (r: { group_ref: string; org_role: OrgRole | null; sites: string }): GroupMapping =>
  ({ group: r.group_ref, org_role: r.org_role, sites: JSON.parse(r.sites) as GroupMapping['sites'] });

export async function listGroupMappings(db: Executor, directoryId: string): Promise<GroupMapping[]> {
  const rows = await db.selectFrom('group_mappings').selectAll().where('directory_id', '=', directoryId).orderBy('position').execute();
  return rows.map(toGroupMapping);
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
    await alignWithMappings(db, call, directory.organization_id, person.user_id, matching, { grantsAdmin: true });
  }
}

/**
 * Applies the org's group mappings to the groups an SSO sign-in asserted (the IdP's groups attribute or
 * claim), through the same rules as a directory's groups: `groups` is the whole list, so a mapping whose
 * group is not in it undoes what it gave. A mapping's group matches a value case-insensitively (Entra
 * sends group object ids, most IdPs names; a mapping may name either); the mappings of every directory
 * of the org count. Two rules of its own:
 * - a person a directory of this org provisions is the directory's: SCIM is authoritative for them, and
 *   their SSO groups change nothing;
 * - an assertion never makes anyone an org admin (DESIGN.md Data rules, "Never admin"): an admin mapping
 *   is not applied, though it keeps an admin role an earlier mapping gave.
 * Callers with no groups attribute at all must not call this: that leaves mapped access as it is.
 */
export async function applySsoGroups(db: Executor, call: Call, organizationId: string, userId: string, groups: string[]): Promise<void> {
  const provisioned = await db
    .selectFrom('scim_users')
    .innerJoin('directories', 'directories.id', 'scim_users.directory_id')
    .select('scim_users.id')
    .where('directories.organization_id', '=', organizationId)
    .where('scim_users.user_id', '=', userId)
    .where('scim_users.deleted_at', 'is', null)
    .executeTakeFirst();
  if (provisioned) return;
  const rows = await db
    .selectFrom('group_mappings')
    .innerJoin('directories', 'directories.id', 'group_mappings.directory_id')
    .select(['group_mappings.group_ref', 'group_mappings.org_role', 'group_mappings.sites'])
    // idor check: only this org's directories' mappings.
    .where('directories.organization_id', '=', organizationId)
    .orderBy('directories.id')
    .orderBy('group_mappings.position')
    .execute();
  // No mappings and nothing a mapping once set (most orgs): the sign-in has nothing to apply or undo.
  if (!rows.length && !(await hasMappedState(db, organizationId))) return;
  const asserted = new Set(groups.map((g) => g.toLowerCase()));
  const matching = rows.filter((r) => asserted.has(r.group_ref.toLowerCase())).map(toGroupMapping);
  await alignWithMappings(db, call, organizationId, userId, matching, { grantsAdmin: false });
}

/**
 * Brings one person's org role and mapped site assignments in line with the mappings that match the
 * groups they are in now (`matching`; empty: in no mapped group). A mapped role goes to the highest
 * mapped one, or back to `member` when a mapping had set it and none maps now; a role set by hand stays
 * (setMembershipRole). Mapped sites are assigned with the highest mapped site role, and those no mapping
 * gives any more are removed; manual assignments stay (assignSite). Without `grantsAdmin`, an admin
 * mapping raises nobody to admin; it only keeps an admin role that a mapping already set.
 */
async function alignWithMappings(db: Executor, call: Call, organizationId: string, userId: string, matching: GroupMapping[], rules: { grantsAdmin: boolean }): Promise<void> {
  const membership = await findMembership(db, organizationId, userId);
  if (!membership) return;

  const mappedRoles = matching
    .map((m) => m.org_role)
    .filter((r): r is OrgRole => Boolean(r))
    .filter((r) => r !== 'admin' || rules.grantsAdmin || (membership.role === 'admin' && membership.role_source === 'group_mapping'));
  const wantedRole: OrgRole = mappedRoles.includes('admin') ? 'admin' : 'member';
  if (mappedRoles.length || membership.role_source === 'group_mapping') {
    await setMembershipRole(db, call, membership.id, wantedRole, 'group_mapping');
  }

  const siteRank = (role: string) => call.ctx.config.siteRoles.indexOf(role);
  const wantedSites = new Map<string, string>();
  for (const mapping of matching) {
    for (const site of mapping.sites ?? []) {
      const current = wantedSites.get(site.site_id);
      if (!current || siteRank(site.role) > siteRank(current)) wantedSites.set(site.site_id, site.role);
    }
  }
  const existing = await db.selectFrom('site_assignments').select(['site_id', 'source']).where('user_id', '=', userId).where('organization_id', '=', organizationId).execute();
  for (const assignment of existing) {
    if (assignment.source === 'group_mapping' && !wantedSites.has(assignment.site_id)) await unassignSite(db, call, assignment.site_id, userId);
  }
  for (const [siteId, role] of wantedSites) await assignSite(db, call, { siteId, userId, role, source: 'group_mapping' });
}

/** What one person the directory sent holds in the org now: the org role and the site assignments. */
export interface PersonAccess {
  scim_user_id: string;
  user_id: string;
  name: string;
  email: string;
  /** Display names of the directory's groups the person is in. */
  groups: string[];
  /** Null when the person has no membership in the org (mappings then leave them alone). */
  role: OrgRole | null;
  role_source: RoleSource | null;
  sites: Array<{ site_id: string; site_name: string; role: string; source: 'manual' | 'group_mapping' }>;
}

/** Everyone the directory has sent (not deleted), with their groups, org role and sites, by name. */
export async function directoryAccess(db: Executor, directory: Directory): Promise<PersonAccess[]> {
  const people = await db
    .selectFrom('scim_users')
    .innerJoin('users', 'users.id', 'scim_users.user_id')
    .leftJoin('memberships', (join) => join.onRef('memberships.user_id', '=', 'scim_users.user_id').on('memberships.organization_id', '=', directory.organization_id))
    .select(['scim_users.id as scim_user_id', 'scim_users.user_id', 'scim_users.display_name', 'users.email', 'users.first_name', 'users.last_name', 'memberships.role', 'memberships.role_source'])
    .where('scim_users.directory_id', '=', directory.id)
    .where('scim_users.deleted_at', 'is', null)
    .execute();
  const memberOf = await db
    .selectFrom('scim_group_members')
    .innerJoin('scim_groups', 'scim_groups.id', 'scim_group_members.group_id')
    .select(['scim_group_members.scim_user_id', 'scim_groups.display_name'])
    .where('scim_groups.directory_id', '=', directory.id)
    .orderBy('scim_groups.display_name')
    .execute();
  const assignments = await db
    .selectFrom('site_assignments')
    .innerJoin('sites', 'sites.id', 'site_assignments.site_id')
    .select(['site_assignments.user_id', 'site_assignments.site_id', 'sites.name', 'site_assignments.role', 'site_assignments.source'])
    .where('site_assignments.organization_id', '=', directory.organization_id)
    .orderBy('sites.name')
    .execute();
  const groupsOf = new Map<string, string[]>();
  for (const m of memberOf) groupsOf.set(m.scim_user_id, [...(groupsOf.get(m.scim_user_id) ?? []), m.display_name]);
  const sitesOf = new Map<string, PersonAccess['sites']>();
  for (const a of assignments) sitesOf.set(a.user_id, [...(sitesOf.get(a.user_id) ?? []), { site_id: a.site_id, site_name: a.name, role: a.role, source: a.source }]);
  return people
    .map((p) => ({
      scim_user_id: p.scim_user_id,
      user_id: p.user_id,
      name: fullName(p) || p.display_name || p.email,
      email: p.email,
      groups: groupsOf.get(p.scim_user_id) ?? [],
      role: p.role ?? null,
      role_source: p.role_source ?? null,
      sites: sitesOf.get(p.user_id) ?? [],
    }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.email.localeCompare(b.email));
}

export interface MappingPreview {
  person: Pick<PersonAccess, 'scim_user_id' | 'user_id' | 'name' | 'email' | 'groups'>;
  before: Pick<PersonAccess, 'role' | 'sites'>;
  after: Pick<PersonAccess, 'role' | 'sites'>;
  /** What saving changes for the person: the org role, the sites (or a site role), either. */
  role_changed: boolean;
  sites_changed: boolean;
  changed: boolean;
}

/** A person's sites with their roles, as one comparable string. */
const siteKey = (sites: PersonAccess['sites']) => sites.map((s) => `${s.site_id}:${s.role}`).join(',');

/** Thrown inside the preview's transaction so that it rolls back; never escapes previewGroupMappings. */
class PreviewRollback extends Error {}

/**
 * What saving `mappings` would give each person, computed by saving them for real (replaceGroupMappings,
 * with its validation and every rule of applyGroupMappings) in a transaction that is then rolled back: the
 * preview and the save cannot disagree, and the preview writes nothing. Takes the database itself, not a
 * transaction (a transaction cannot open another one).
 */
export async function previewGroupMappings(db: Executor, call: Call, directory: Directory, mappings: GroupMapping[]): Promise<MappingPreview[]> {
  let preview: MappingPreview[] = [];
  try {
    await db.transaction().execute(async (trx) => {
      const before = await directoryAccess(trx, directory);
      await replaceGroupMappings(trx, call, directory, mappings);
      const after = new Map((await directoryAccess(trx, directory)).map((p) => [p.scim_user_id, p]));
      preview = before.map((was) => {
        const now = after.get(was.scim_user_id) ?? was;
        const roleChanged = was.role !== now.role;
        const sitesChanged = siteKey(was.sites) !== siteKey(now.sites);
        return {
          person: { scim_user_id: was.scim_user_id, user_id: was.user_id, name: was.name, email: was.email, groups: was.groups },
          before: { role: was.role, sites: was.sites },
          after: { role: now.role, sites: now.sites },
          role_changed: roleChanged,
          sites_changed: sitesChanged,
          changed: roleChanged || sitesChanged,
        };
      });
      throw new PreviewRollback();
    });
  } catch (error) {
    if (!(error instanceof PreviewRollback)) throw error;
  }
  return preview;
}
