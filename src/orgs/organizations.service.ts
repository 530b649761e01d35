import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import type { Organization } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { notFound } from '../http/errors.ts';

export interface OrganizationView {
  id: string;
  name: string;
  sso_entitled: boolean;
  auto_provision: boolean;
  enforce_sso: boolean;
  created_at: string;
  updated_at: string;
}

export function toOrganizationView(row: Organization): OrganizationView {
  return {
    id: row.id,
    name: row.name,
    sso_entitled: row.sso_entitled === 1,
    auto_provision: row.auto_provision === 1,
    enforce_sso: row.enforce_sso === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function findOrganization(db: Executor, id: string): Promise<Organization | undefined> {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getOrganization(db: Executor, id: string): Promise<Organization> {
  const org = await findOrganization(db, id);
  if (!org) throw notFound('organization', id);
  return org;
}

export async function listOrganizations(db: Executor, page: { after?: string; limit: number }): Promise<Organization[]> {
  let query = db.selectFrom('organizations').selectAll().orderBy('id').limit(page.limit + 1);
  if (page.after) query = query.where('id', '>', page.after);
  return query.execute();
}

export interface OrganizationInput {
  name: string;
  sso_entitled?: boolean;
  auto_provision?: boolean;
  enforce_sso?: boolean;
}

export async function createOrganization(db: Executor, { ctx, actor }: Call, input: OrganizationInput): Promise<Organization> {
  const now = ctx.clock.now().toISOString();
  const row: Organization = {
    id: newId('org'),
    name: input.name,
    sso_entitled: input.sso_entitled ? 1 : 0,
    auto_provision: input.auto_provision === false ? 0 : 1,
    enforce_sso: input.enforce_sso ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('organizations').values(row).execute();
  await recordEvent(db, ctx.clock, { type: 'organization.created', organizationId: row.id, actor, data: { name: row.name } });
  return row;
}

export async function updateOrganization(db: Executor, { ctx, actor }: Call, id: string, changes: Partial<OrganizationInput>): Promise<Organization> {
  const org = await getOrganization(db, id);
  const set: Partial<Organization> = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.sso_entitled !== undefined) set.sso_entitled = changes.sso_entitled ? 1 : 0;
  if (changes.auto_provision !== undefined) set.auto_provision = changes.auto_provision ? 1 : 0;
  if (changes.enforce_sso !== undefined) set.enforce_sso = changes.enforce_sso ? 1 : 0;
  const changed = Object.fromEntries(Object.entries(changes).filter(([k, v]) => v !== undefined && toOrganizationView(org)[k as keyof OrganizationView] !== v));
  if (Object.keys(changed).length === 0) return org;
  const updated = { ...org, ...set, updated_at: ctx.clock.now().toISOString() };
  await db.updateTable('organizations').set({ ...set, updated_at: updated.updated_at }).where('id', '=', id).execute();
  await recordEvent(db, ctx.clock, { type: 'organization.updated', organizationId: id, actor, data: { changes: changed } });
  return updated;
}

/** Deletes the org and, by cascade, its domains, contacts, sites, memberships and invitations. Users stay. */
export async function deleteOrganization(db: Executor, { ctx, actor }: Call, id: string): Promise<void> {
  const org = await getOrganization(db, id);
  await db.deleteFrom('organizations').where('id', '=', id).execute();
  // Mail not yet sent for this org (contact notices, invitations with now-dead links) goes too.
  await db.updateTable('mail_outbox').set({ status: 'cancelled', body_sealed: null }).where('organization_id', '=', id).where('status', '=', 'pending').execute();
  await recordEvent(db, ctx.clock, { type: 'organization.deleted', organizationId: id, actor, data: { name: org.name } });
}
