import type { Clock } from '../clock.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
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
