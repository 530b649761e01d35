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
  await recordEvent(db, ctx.clock, { type: 'site.updated', organizationId: site.organization_id, actor, data: { site_id: id, name } });
  return updated;
}

/** Deleting a site removes its assignments (by cascade, with no site_assignment.deleted events: site.deleted implies them). */
export async function deleteSite(db: Executor, { ctx, actor }: Call, id: string): Promise<void> {
  const site = await getSite(db, id);
  await db.deleteFrom('sites').where('id', '=', id).execute();
  await recordEvent(db, ctx.clock, { type: 'site.deleted', organizationId: site.organization_id, actor, data: { site_id: id, name: site.name } });
}
