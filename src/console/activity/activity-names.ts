import type { Executor } from '../../db/database.ts';
import { type ActivityEvent, dataNames } from '../../events/activity.ts';
import { findProvider } from '../../sso/providers.ts';
import { fullName } from '../../users/users.repository.ts';
import { sql } from 'kysely';

export interface PersonName {
  name: string;
  email: string;
}

/** What the ids in a page of events are called, so each line reads in names. Missing: deleted (or never known). */
export interface ActivityNames {
  users: Map<string, PersonName>;
  sites: Map<string, string>;
  /** name: the connection's own name; provider: the IdP's name ("Okta"). */
  connections: Map<string, { name: string; provider: string }>;
  directories: Map<string, { name: string; provider: string }>;
  apiKeys: Map<string, string>;
  clients: Map<string, string>;
}

const str = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
const providerName = (key: string) => findProvider(key)?.name ?? key;

export const personName = (row: { email: string; first_name: string | null; last_name: string | null }) => fullName(row) ?? row.email;

/**
 * The names behind the ids of these events (all of one org). Sites, connections and directories are
 * read within the org (idor check: an id in another org's row never lends its name); a site deleted
 * since keeps the name its own events recorded.
 */
export async function loadActivityNames(db: Executor, organizationId: string, events: ActivityEvent[]): Promise<ActivityNames> {
  const ids = { users: new Set<string>(), sites: new Set<string>(), connections: new Set<string>(), directories: new Set<string>(), apiKeys: new Set<string>(), clients: new Set<string>() };
  for (const event of events) {
    if (event.actor.id && event.actor.type === 'user') ids.users.add(event.actor.id);
    if (event.actor.id && event.actor.type === 'api_key') ids.apiKeys.add(event.actor.id);
    if (event.actor.id && event.actor.type === 'directory') ids.directories.add(event.actor.id);
    const d = event.data;
    for (const [key, set] of [['user_id', ids.users], ['site_id', ids.sites], ['connection_id', ids.connections], ['directory_id', ids.directories], ['client_id', ids.clients]] as const) {
      const value = str(d[key]);
      if (value) set.add(value);
    }
  }
  const names: ActivityNames = { users: new Map(), sites: new Map(), connections: new Map(), directories: new Map(), apiKeys: new Map(), clients: new Map() };
  const list = (set: Set<string>) => [...set];

  if (ids.users.size) {
    const rows = await db.selectFrom('users').select(['id', 'email', 'first_name', 'last_name']).where('id', 'in', list(ids.users)).execute();
    for (const row of rows) names.users.set(row.id, { name: personName(row), email: row.email });
  }
  if (ids.sites.size) {
    const rows = await db.selectFrom('sites').select(['id', 'name']).where('organization_id', '=', organizationId).where('id', 'in', list(ids.sites)).execute();
    for (const row of rows) names.sites.set(row.id, row.name);
    for (const id of ids.sites) if (!names.sites.has(id)) {
      const named = await deletedSiteName(db, organizationId, id);
      if (named) names.sites.set(id, named);
    }
  }
  if (ids.connections.size) {
    const rows = await db.selectFrom('connections').select(['id', 'name', 'provider']).where('organization_id', '=', organizationId).where('id', 'in', list(ids.connections)).execute();
    for (const row of rows) names.connections.set(row.id, { name: row.name, provider: providerName(row.provider) });
  }
  if (ids.directories.size) {
    const rows = await db.selectFrom('directories').select(['id', 'name', 'provider']).where('organization_id', '=', organizationId).where('id', 'in', list(ids.directories)).execute();
    for (const row of rows) names.directories.set(row.id, { name: row.name, provider: providerName(row.provider) });
  }
  if (ids.apiKeys.size) {
    const rows = await db.selectFrom('api_keys').select(['id', 'name']).where('id', 'in', list(ids.apiKeys)).execute();
    for (const row of rows) names.apiKeys.set(row.id, row.name);
  }
  if (ids.clients.size) {
    const rows = await db.selectFrom('oidc_clients').select(['client_id', 'name']).where('client_id', 'in', list(ids.clients)).execute();
    for (const row of rows) names.clients.set(row.client_id, row.name);
  }
  return names;
}

/** The last name a deleted site had, from its own site.* events in this org. */
async function deletedSiteName(db: Executor, organizationId: string, siteId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('events')
    .select('data')
    .where('organization_id', '=', organizationId)
    .where('type', 'in', ['site.created', 'site.updated', 'site.deleted'])
    .where(sql<boolean>`data like ${dataNames('site_id', siteId)} escape '\\'`)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? str((JSON.parse(row.data) as Record<string, unknown>).name) : undefined;
}
