import { type Expression, type SqlBool, sql } from 'kysely';
import type { Clock } from '../clock.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import { escapeLike } from '../db/like.ts';
import type { EventRow } from '../db/schema.ts';
import type { Actor, EventCatalogue, EventType } from './catalogue.ts';
import { enqueueDeliveries } from './webhooks.service.ts';

export interface ActivityEvent {
  id: string;
  type: string;
  organization_id: string | null;
  actor: { type: string; id: string | null };
  data: Record<string, unknown>;
  created_at: string;
}

/** Writes an event in the caller's transaction, so it exists exactly when the change does. */
export async function recordEvent<T extends EventType>(
  db: Executor,
  clock: Clock,
  event: { type: T; organizationId: string | null; actor: Actor; data: EventCatalogue[T] },
): Promise<string> {
  const id = newId('evt');
  await db
    .insertInto('events')
    .values({
      id,
      type: event.type,
      organization_id: event.organizationId,
      actor_type: event.actor.type,
      actor_id: event.actor.id ?? null,
      data: JSON.stringify(event.data),
      created_at: clock.now().toISOString(),
    })
    .execute();
  // Same transaction: a webhook exists exactly when its event does.
  await enqueueDeliveries(db, clock, { id, type: event.type });
  return id;
}

export function toActivityEvent(row: EventRow): ActivityEvent {
  return {
    id: row.id,
    type: row.type,
    organization_id: row.organization_id,
    actor: { type: row.actor_type, id: row.actor_id },
    data: JSON.parse(row.data) as Record<string, unknown>,
    created_at: row.created_at,
  };
}

/** Oldest first after the cursor. */
export async function listEvents(
  db: Executor,
  filter: { organizationId?: string; types?: string[]; after?: string; limit: number },
): Promise<EventRow[]> {
  let query = db.selectFrom('events').selectAll().orderBy('id', 'asc').limit(filter.limit + 1);
  if (filter.organizationId) query = query.where('organization_id', '=', filter.organizationId);
  if (filter.types?.length) query = query.where('type', 'in', filter.types);
  if (filter.after) query = query.where('id', '>', filter.after);
  return query.execute();
}

/** Which events one org's activity log shows, and which page of them (DESIGN.md Console: Activity log). */
export interface OrgActivityQuery {
  organizationId: string;
  /** Only these types (none: every type). */
  types?: readonly string[];
  /** Only events about these people: their own actions (actor) or events whose data names them. */
  people?: { userIds: readonly string[]; emails: readonly string[] };
  /** A page of events older than this id, or newer than `after`; neither: the newest. */
  before?: string;
  after?: string;
  limit: number;
}

export interface OrgActivityPage {
  /** Newest first. */
  rows: EventRow[];
  /** Whether matching events exist before (newer than) the first row and after (older than) the last. */
  newer: boolean;
  older: boolean;
}

/** `"key":"value"` inside an event's JSON data (JSON.stringify writes no spaces), for LIKE with ESCAPE '\'. */
export const dataNames = (key: string, value: string) => `%${escapeLike(JSON.stringify({ [key]: value }).slice(1, -1))}%`;

/**
 * Credentials refusals carry no org (the password is checked before an org is chosen), yet they are
 * about the account of a member: those of the org's own members belong in its log.
 */
const ACCOUNT_REFUSALS = ['wrong_password', 'no_password'] as const;
const ACCOUNT_EVENTS = ['user.created', 'user.email_changed'];

/**
 * One org's activity, newest first, a page at a time in either direction. An event belongs to the org
 * when it carries the org's id, or when it is a refused password sign-in, the creation or an email
 * change of the account of one of the org's members; nothing else, so another org's events (and
 * operator events) never show.
 */
export async function listOrgActivity(db: Executor, query: OrgActivityQuery): Promise<OrgActivityPage> {
  const orgId = query.organizationId;
  const matching = () => {
    let q = db.selectFrom('events').where((eb) => {
      const members = eb.selectFrom('memberships').select('memberships.user_id').where('memberships.organization_id', '=', orgId);
      return eb.or([
        eb('events.organization_id', '=', orgId),
        eb.and([
          eb('events.organization_id', 'is', null),
          eb('events.type', '=', 'user.signin_failed'),
          eb('events.actor_type', '=', 'user'),
          eb('events.actor_id', 'in', members),
          eb.or(ACCOUNT_REFUSALS.map((reason) => sql<boolean>`events.data like ${dataNames('reason', reason)} escape '\\'`)),
        ]),
        // An account's own events (created, email changed) carry no org either: the org's log shows those
        // of its members. json_extract: one lookup per event against the org's member ids (SQLite only,
        // as the rest of Gatehouse today).
        eb.and([
          eb('events.organization_id', 'is', null),
          eb('events.type', 'in', ACCOUNT_EVENTS),
          eb(sql<string>`json_extract(events.data, '$.user_id')`, 'in', members),
        ]),
      ]);
    });
    if (query.types?.length) q = q.where('events.type', 'in', query.types);
    const people = query.people;
    if (people) {
      q = q.where((eb) => {
        const about: Expression<SqlBool>[] = [
          ...people.userIds.map((id) => sql<boolean>`events.data like ${dataNames('user_id', id)} escape '\\'`),
          ...people.emails.map((email) => sql<boolean>`lower(events.data) like lower(${dataNames('email', email)}) escape '\\'`),
        ];
        if (people.userIds.length) about.push(eb.and([eb('events.actor_type', '=', 'user'), eb('events.actor_id', 'in', people.userIds)]));
        // Nobody matched: an always-false condition, so the page is empty rather than unfiltered.
        return about.length ? eb.or(about) : sql<boolean>`0 = 1`;
      });
    }
    return q;
  };
  const exists = async (op: '<' | '>', id: string) => Boolean(await matching().select('events.id').where('events.id', op, id).limit(1).executeTakeFirst());

  if (query.after) {
    const found = await matching().selectAll('events').where('events.id', '>', query.after).orderBy('events.id', 'asc').limit(query.limit + 1).execute();
    const rows = found.slice(0, query.limit).reverse();
    // Nothing newer than the cursor (it was the newest when the page was drawn): the newest page.
    if (rows.length) return { rows, newer: found.length > query.limit, older: await exists('<', rows.at(-1)!.id) };
  }
  let q = matching().selectAll('events').orderBy('events.id', 'desc').limit(query.limit + 1);
  const before = query.after ? undefined : query.before;
  if (before) q = q.where('events.id', '<', before);
  const found = await q.execute();
  const rows = found.slice(0, query.limit);
  const newer = before ? await exists('>', rows[0]?.id ?? before) : false;
  return { rows, newer, older: found.length > query.limit };
}
