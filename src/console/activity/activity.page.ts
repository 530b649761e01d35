import type { Context } from 'koa';
import { isId } from '../../crypto/ids.ts';
import { listOrgActivity, toActivityEvent } from '../../events/activity.ts';
import { adminOf, queryField } from '../console-admin.ts';
import type { ConsoleRouter } from '../console.router.ts';
import { ACTIVITY_PATH } from '../console-view.ts';
import { loadActivityNames } from './activity-names.ts';
import { findPeople, MAX_PEOPLE, type MatchedPerson } from './activity-people.ts';
import { ACTIVITY_CATEGORIES, typesOfFilter } from './activity-types.ts';
import { describeEvent } from './event-wording.ts';

export const ACTIVITY_PAGE_SIZE = 25;
const MAX_QUERY = 200;

/**
 * The activity log (DESIGN.md Console): the org's events newest first, in words, filtered by type
 * (category or single type) and by person, paged with cursors (event ids) in both directions.
 */
export function registerActivityPages(consoleRouter: ConsoleRouter): void {
  consoleRouter.router.get(ACTIVITY_PATH, consoleRouter.page, (ctx) => renderActivity(consoleRouter, ctx));
}

async function renderActivity(consoleRouter: ConsoleRouter, ctx: Context): Promise<void> {
  const { db } = consoleRouter.deps;
  const admin = adminOf(ctx);
  const organizationId = admin.organization.id;
  const type = queryField(ctx, 'type');
  const person = queryField(ctx, 'person').slice(0, MAX_QUERY);
  // A cursor that is not an event id is ignored (the newest page), never passed to SQL as a bound.
  const cursor = (name: string) => (isId('evt', queryField(ctx, name)) ? queryField(ctx, name) : undefined);
  const filter = typesOfFilter(type);

  let matched: { people: MatchedPerson[]; more: boolean } | undefined;
  let people: { userIds: string[]; emails: string[] } | undefined;
  if (person) {
    matched = await findPeople(db, organizationId, person);
    // A whole address also finds refusals of someone not (or no longer) a member, by the email they typed.
    const emails = person.includes('@') ? [person.toLowerCase()] : [];
    people = { userIds: matched.people.map((p) => p.id), emails };
  }

  const page = await listOrgActivity(db, { organizationId, types: filter.types, people, before: cursor('before'), after: cursor('after'), limit: ACTIVITY_PAGE_SIZE });
  const events = page.rows.map(toActivityEvent);
  const names = await loadActivityNames(db, organizationId, events);
  const lines = events.map((event) => describeEvent(event, names, admin.organization.name));

  const href = (extra: Record<string, string>) => {
    const params = new URLSearchParams();
    if (filter.known && type) params.set('type', type);
    if (person) params.set('person', person);
    for (const [key, value] of Object.entries(extra)) params.set(key, value);
    const query = params.toString();
    return query ? `${ACTIVITY_PATH}?${query}` : ACTIVITY_PATH;
  };

  await consoleRouter.render(ctx, 'console/activity/index.njk', 'activity', {
    categories: ACTIVITY_CATEGORIES,
    filter: { type: filter.known ? type : '', person, unknown_type: !filter.known, active: Boolean((filter.known && type) || person) },
    matched: matched ? { people: matched.people, more: matched.more, max: MAX_PEOPLE } : null,
    lines,
    clear_href: ACTIVITY_PATH,
    newer_href: page.newer && lines.length ? href({ after: lines[0]!.id }) : null,
    older_href: page.older && lines.length ? href({ before: lines.at(-1)!.id }) : null,
    newest_href: cursor('before') || cursor('after') ? href({}) : null,
  });
}
