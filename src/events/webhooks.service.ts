import type { Call } from '../context.ts';
import type { Clock } from '../clock.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import type { WebhookDelivery, WebhookEndpoint } from '../db/schema.ts';
import { fieldInvalid, notFound } from '../http/errors.ts';
import { EVENT_TYPES } from './catalogue.ts';
import { newWebhookSecret } from './webhook-signature.ts';
import { isLoopbackHost } from '../http/urls.ts';

export interface WebhookEndpointView {
  id: string;
  url: string;
  events: string[];
  created_at: string;
}

export const toWebhookView = (row: WebhookEndpoint): WebhookEndpointView => ({ id: row.id, url: row.url, events: JSON.parse(row.events) as string[], created_at: row.created_at });

export interface DeliveryView {
  id: string;
  webhook_id: string;
  event_id: string;
  status: WebhookDelivery['status'];
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  last_response: string | null;
  delivered_at: string | null;
  created_at: string;
}

export const toDeliveryView = (row: WebhookDelivery): DeliveryView => ({
  id: row.id,
  webhook_id: row.endpoint_id,
  event_id: row.event_id,
  status: row.status,
  attempts: row.attempts,
  next_attempt_at: row.status === 'pending' ? row.next_attempt_at : null,
  last_attempt_at: row.last_attempt_at,
  last_status_code: row.last_status_code,
  last_error: row.last_error,
  last_response: row.last_response,
  delivered_at: row.delivered_at,
  created_at: row.created_at,
});

function internalAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  return h === '::1' || h === '::' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80') || h.startsWith('::ffff:');
}

/** Endpoints must be https; plain http only to loopback in development (a local receiver). */
function checkUrl(url: string, mode: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fieldInvalid('url', 'invalid_url', `url is not an absolute URL: "${url}".`);
  }
  if (parsed.username || parsed.password) throw fieldInvalid('url', 'credentials_in_url', 'url must not contain a user name or password; authenticate the request with the webhook signature.');
  const loopback = isLoopbackHost(parsed.hostname);
  if (!(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopback && mode === 'development'))) {
    throw fieldInvalid('url', 'insecure_url', 'url must be an https URL (plain http only to localhost, in development mode).');
  }
  // An operator sets webhooks, but a URL pointing straight at an internal address (cloud metadata,
  // private networks) is refused outside development: it is almost always a mistake or an attack.
  if (mode !== 'development' && internalAddress(parsed.hostname)) {
    throw fieldInvalid('url', 'internal_address', 'url must not point at a loopback, private or link-local address.');
  }
}

export async function createWebhook(db: Executor, { ctx }: Call, input: { url: string; events: string[] }): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  checkUrl(input.url, ctx.config.mode);
  // Checked before "*" absorbs the rest, so a misspelt type next to "*" is refused too.
  const unknown = [...new Set(input.events)].filter((e) => e !== '*' && !(EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length) throw fieldInvalid('events', 'unknown_event_type', `Unknown event type${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`);
  const events = input.events.includes('*') ? ['*'] : [...new Set(input.events)];
  const id = newId('wh');
  const secret = newWebhookSecret();
  const endpoint: WebhookEndpoint = { id, url: input.url, events: JSON.stringify(events), secret_sealed: ctx.box.seal(secret, `webhook:${id}`), created_at: ctx.clock.now().toISOString() };
  await db.insertInto('webhook_endpoints').values(endpoint).execute();
  return { endpoint, secret };
}

export async function getWebhook(db: Executor, id: string): Promise<WebhookEndpoint> {
  const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('webhook', id);
  return row;
}

export async function listWebhooks(db: Executor): Promise<WebhookEndpoint[]> {
  return db.selectFrom('webhook_endpoints').selectAll().orderBy('id').execute();
}

/** Deleting an endpoint drops its pending deliveries with it. */
export async function deleteWebhook(db: Executor, id: string): Promise<void> {
  await getWebhook(db, id);
  await db.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
}

export async function listDeliveries(db: Executor, endpointId: string, page: { after?: string; limit: number }): Promise<WebhookDelivery[]> {
  await getWebhook(db, endpointId);
  let query = db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId).orderBy('id').limit(page.limit + 1);
  if (page.after) query = query.where('id', '>', page.after);
  return query.execute();
}

/** Queues the event for every endpoint that wants it, in the caller's transaction (the outbox). */
export async function enqueueDeliveries(db: Executor, clock: Clock, event: { id: string; type: string }): Promise<number> {
  const endpoints = await db.selectFrom('webhook_endpoints').select(['id', 'events']).execute();
  const now = clock.now().toISOString();
  let queued = 0;
  for (const endpoint of endpoints) {
    const wanted = JSON.parse(endpoint.events) as string[];
    if (!wanted.includes('*') && !wanted.includes(event.type)) continue;
    await db.insertInto('webhook_deliveries').values({ id: newId('whd'), endpoint_id: endpoint.id, event_id: event.id, status: 'pending', next_attempt_at: now, created_at: now }).execute();
    queued++;
  }
  return queued;
}
