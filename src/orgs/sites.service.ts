import { sql } from 'kysely';
import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import type { Site } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { conflict, notFound } from '../http/errors.ts';
import { getOrganization } from './organizations.service.ts';

export interface SiteView {
  id: string;
  organization_id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export const toSiteView = (row: Site): SiteView => ({ ...row });

export async function getSite(db: Executor, id: string): Promise<Site> {
  const row = await db.selectFrom('sites').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('site', id);
  return row;
}

export async function listSites(db: Executor, organizationId: string, page: { after?: string; limit: number }): Promise<Site[]> {
  let query = db.selectFrom('sites').selectAll().where('organization_id', '=', organizationId).orderBy('id').limit(page.limit + 1);
  if (page.after) query = query.where('id', '>', page.after);
  return query.execute();
}

async function assertNameFree(db: Executor, organizationId: string, name: string, exceptId?: string): Promise<void> {
  // Fold both sides with the database's lower(), the function the unique index sites_org_name_unique
  // uses. SQLite's folds ASCII only: lower('ÉTÉ') is 'ÉtÉ' where JS gives 'été', so the check missed an
  // exact duplicate and the insert then hit the index as a 500.
  let query = db.selectFrom('sites').select('id').where('organization_id', '=', organizationId).where(sql`lower(name)`, '=', sql`lower(${name})`);
  if (exceptId) query = query.where('id', '!=', exceptId);
  const clash = await query.executeTakeFirst();
  if (clash) throw conflict('site_name_taken', `This organization already has a site named "${name}" (${clash.id}).`);
}

export async function createSite(db: Executor, { ctx, actor }: Call, organizationId: string, name: string): Promise<Site> {
  await getOrganization(db, organizationId);
  await assertNameFree(db, organizationId, name);
  const now = ctx.clock.now().toISOString();
  const row: Site = { id: newId('site'), organization_id: organizationId, name, created_at: now, updated_at: now };
  await db.insertInto('sites').values(row).execute();
  await recordEvent(db, ctx.clock, { type: 'site.created', organizationId, actor, data: { site_id: row.id, name } });
  return row;
}

export async function renameSite(db: Executor, { ctx, actor }: Call, id: string, name: string): Promise<Site> {
  const site = await getSite(db, id);
  if (site.name === name) return site;
  await assertNameFree(db, site.organization_id, name, id);
  const updated = { ...site, name, updated_at: ctx.clock.now().toISOString() };
  await db.updateTable('sites').set({ name, updated_at: updated.updated_at }).where('id', '=', id).execute();
  await recordEvent(db, ctx.clock, { type: 'site.updated', organizationId: site.organization_id, actor, data: { site_id: id, name, previous_name: site.name } });
  return updated;
}

/** Deleting a site removes its assignments (by cascade, with no site_assignment.deleted events: site.deleted implies them). */
export async function deleteSite(db: Executor, { ctx, actor }: Call, id: string): Promise<void> {
  const site = await getSite(db, id);
  await db.deleteFrom('sites').where('id', '=', id).execute();
  await recordEvent(db, ctx.clock, { type: 'site.deleted', organizationId: site.organization_id, actor, data: { site_id: id, name: site.name } });
}

/** The first `limit` sites of the org by name, as pickers offer them (id and name only). */
export async function listSiteNames(db: Executor, organizationId: string, limit: number): Promise<Array<{ id: string; name: string }>> {
  return db.selectFrom('sites').select(['id', 'name']).where('organization_id', '=', organizationId).orderBy(sql`lower(name)`).orderBy('id').limit(limit).execute();
}

/** A site with how many people are assigned to it: one row of the console's Sites list. */
export interface SiteWithCount extends Site {
  assigned: number;
}

/** The org's sites by name (case folded as the unique index folds them), each with its number of assignments. */
export async function listSitesWithCounts(db: Executor, organizationId: string, page: { offset: number; limit: number }): Promise<{ sites: SiteWithCount[]; total: number }> {
  const rows = await db
    .selectFrom('sites')
    .leftJoin('site_assignments', 'site_assignments.site_id', 'sites.id')
    .selectAll('sites')
    .select((eb) => eb.fn.count<number>('site_assignments.id').as('assigned'))
    .where('sites.organization_id', '=', organizationId)
    .groupBy('sites.id')
    .orderBy(sql`lower(sites.name)`)
    .orderBy('sites.id')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  const { total } = await db.selectFrom('sites').select((eb) => eb.fn.countAll<number>().as('total')).where('organization_id', '=', organizationId).executeTakeFirstOrThrow();
  return { sites: rows.map((row) => ({ ...row, assigned: Number(row.assigned) })), total: Number(total) };
}

/** A directory group mapping that assigns the site (the group as the mapping names it: display name or id). */
export interface SiteMappingUse {
  directory_id: string;
  directory_name: string;
  group: string;
}

/** What deleting a site takes with it: its assignments, and its place in directory group mappings. */
export interface SiteDeletionImpact {
  site: Site;
  assigned: number;
  mappings: SiteMappingUse[];
}

export async function siteDeletionImpact(db: Executor, id: string): Promise<SiteDeletionImpact> {
  const site = await getSite(db, id);
  return impactOf(db, site, await mappingsOfOrg(db, site.organization_id));
}

async function impactOf(db: Executor, site: Site, mappingRows: MappingRow[]): Promise<SiteDeletionImpact> {
  const { assigned } = await db.selectFrom('site_assignments').select((eb) => eb.fn.countAll<number>().as('assigned')).where('site_id', '=', site.id).executeTakeFirstOrThrow();
  const mappings = mappingRows
    .filter((row) => sitesOf(row.sites).some((s) => s.site_id === site.id))
    .map((row) => ({ directory_id: row.directory_id, directory_name: row.directory_name, group: row.group_ref }));
  return { site, assigned: Number(assigned), mappings };
}

type MappingRow = Awaited<ReturnType<typeof mappingsOfOrg>>[number];

const mappingsOfOrg = (db: Executor, organizationId: string) =>
  db
    .selectFrom('group_mappings')
    .innerJoin('directories', 'directories.id', 'group_mappings.directory_id')
    .select(['group_mappings.id', 'group_mappings.directory_id', 'group_mappings.group_ref', 'group_mappings.sites', 'directories.name as directory_name'])
    .where('directories.organization_id', '=', organizationId)
    .orderBy('directories.name')
    .orderBy('group_mappings.position')
    .execute();

const sitesOf = (json: string) => JSON.parse(json) as Array<{ site_id: string; role: string }>;

/**
 * deleteSite, and the site taken out of every directory group mapping that names it (each mapping keeps
 * its group, org role and other sites). deleteSite alone leaves those mappings naming a site that no
 * longer exists, and the next SCIM write for anyone in such a group fails with "No site with id …" as
 * applyGroupMappings tries to assign it.
 */
export async function deleteSiteAndUnmap(db: Executor, call: Call, id: string): Promise<SiteDeletionImpact> {
  const site = await getSite(db, id);
  // The org's mappings, read once: what the deletion takes with it, and what is rewritten.
  const rows = await mappingsOfOrg(db, site.organization_id);
  const impact = await impactOf(db, site, rows);
  await deleteSite(db, call, id);
  const touched = new Set<string>();
  for (const row of rows) {
    const sites = sitesOf(row.sites);
    if (!sites.some((s) => s.site_id === id)) continue;
    await db.updateTable('group_mappings').set({ sites: JSON.stringify(sites.filter((s) => s.site_id !== id)) }).where('id', '=', row.id).execute();
    touched.add(row.directory_id);
  }
  for (const directoryId of touched) {
    const mappings = rows.filter((row) => row.directory_id === directoryId).length;
    await recordEvent(db, call.ctx.clock, { type: 'directory.group_mappings_updated', organizationId: site.organization_id, actor: call.actor, data: { directory_id: directoryId, mappings } });
  }
  return impact;
}
