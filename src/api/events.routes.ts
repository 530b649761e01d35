import { listEvents, toActivityEvent } from '../events/activity.ts';
import { EVENT_TYPES } from '../events/catalogue.ts';
import { fieldInvalid } from '../http/errors.ts';
import { pageQuery, toPage } from '../http/pagination.ts';
import type { ApiDeps } from './deps.ts';
import type { ApiRegistry } from './registry.ts';
import * as s from './schemas.ts';

export function registerEventRoutes(api: ApiRegistry, deps: ApiDeps): void {
  api.add({ method: 'get', path: '/events', tag: 'Events', summary: 'The activity log, oldest first after the cursor', query: pageQuery.extend(s.eventQuery.shape), response: s.listOf(s.activityEvent) },
    async ({ query }) => {
      const types = query.types?.split(',').map((t) => t.trim()).filter(Boolean);
      const unknown = types?.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
      if (unknown?.length) throw fieldInvalid('types', 'unknown_event_type', `Unknown event type${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`);
      const rows = await listEvents(deps.db, { organizationId: query.organization_id, types, after: query.after, limit: query.limit });
      return toPage(rows, query.limit, toActivityEvent);
    });
}
