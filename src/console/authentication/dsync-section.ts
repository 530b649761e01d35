import type { Executor } from '../../db/database.ts';
import { type DirectoryProvider, SCIM_GUIDES } from '../../portal/dsync/scim-guides.ts';
import { recentSyncActivity } from '../../portal/dsync/sync-activity.ts';
import { DIRECTORY_PROVIDERS, listDirectories } from '../../scim/directories.service.ts';
import type { ConsoleAdmin } from '../console-admin.ts';
import type { SectionForm } from './authentication.page.ts';

/** How many sync events the section shows; the Activity page has the rest. */
const SECTION_EVENTS = 6;

export const directoryProviderName = (provider: string): string =>
  (DIRECTORY_PROVIDERS as readonly string[]).includes(provider) ? SCIM_GUIDES[provider as DirectoryProvider].name : provider;

/**
 * The Directory Sync section (DESIGN.md Console): the org's directories with their state and last sync,
 * the button that opens the `dsync` wizard in a new tab, the latest sync events, and the way to the
 * group mappings page.
 */
export async function loadDsyncSection(db: Executor, admin: ConsoleAdmin, form?: SectionForm): Promise<Record<string, unknown>> {
  const orgId = admin.organization.id;
  const [directories, activity] = await Promise.all([listDirectories(db, orgId), recentSyncActivity(db, orgId)]);
  const counts = await Promise.all(directories.map(async (d) => {
    const [people, groups, mappings] = await Promise.all([
      db.selectFrom('scim_users').select((eb) => eb.fn.countAll<number>().as('n')).where('directory_id', '=', d.id).where('deleted_at', 'is', null).executeTakeFirstOrThrow(),
      db.selectFrom('scim_groups').select((eb) => eb.fn.countAll<number>().as('n')).where('directory_id', '=', d.id).executeTakeFirstOrThrow(),
      db.selectFrom('group_mappings').select((eb) => eb.fn.countAll<number>().as('n')).where('directory_id', '=', d.id).executeTakeFirstOrThrow(),
    ]);
    return { people: Number(people.n), groups: Number(groups.n), mappings: Number(mappings.n) };
  }));
  return {
    directories: directories.map((d, i) => ({
      id: d.id,
      name: d.name,
      provider: directoryProviderName(d.provider),
      // Inactive: its token is refused. Active and never called: the IdP is not set up yet.
      status: d.state !== 'active' ? { label: 'Inactive', tone: 'danger' } : d.last_request_at ? { label: 'Receiving', tone: 'success' } : { label: 'Waiting for the first sync', tone: 'warning' },
      last_sync: d.last_request_at,
      ...counts[i]!,
    })),
    activity: activity.slice(0, SECTION_EVENTS),
    more_activity: activity.length > SECTION_EVENTS,
    errors: form?.section === 'dsync' ? form.errors : {},
  };
}
