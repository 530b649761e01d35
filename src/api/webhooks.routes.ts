import { z } from 'zod';
import { recordEvent } from '../events/activity.ts';
import { createWebhook, deleteWebhook, getWebhook, listDeliveries, listWebhooks, toDeliveryView, toWebhookView } from '../events/webhooks.service.ts';
import { pageQuery, toPage } from '../http/pagination.ts';
import { type ApiDeps, callFor } from './deps.ts';
import type { ApiRegistry } from './registry.ts';
import * as s from './schemas.ts';

const webhook = z.object({ id: z.string(), url: z.string(), events: z.array(z.string()), created_at: z.string() });
const webhookCreate = z.strictObject({
  url: z.string().max(2000, 'url must be at most 2000 characters.'),
  events: z.array(z.string().max(100)).min(1, 'events needs at least one event type, or "*" for all.').max(100).default(['*']),
});
const delivery = z.object({
  id: z.string(), webhook_id: z.string(), event_id: z.string(), status: z.enum(['pending', 'succeeded', 'failed']), attempts: z.number(),
  next_attempt_at: z.string().nullable(), last_attempt_at: z.string().nullable(), last_status_code: z.number().nullable(),
  last_error: z.string().nullable(), last_response: z.string().nullable(), delivered_at: z.string().nullable(), created_at: z.string(),
});

export function registerWebhookRoutes(api: ApiRegistry, deps: ApiDeps): void {
  const tag = 'Webhooks';
  api.add({
    method: 'post', path: '/webhooks', tag, body: webhookCreate, status: 201, response: webhook.extend({ secret: z.string().describe('whsec_…, only in this answer') }),
    summary: 'Send signed webhooks (Standard Webhooks) for these event types, or "*" for all',
  }, async ({ body, ctx }) => {
    const call = callFor(deps, ctx);
    const { endpoint, secret } = await deps.uow(async (trx) => {
      const created = await createWebhook(trx, call, body);
      await recordEvent(trx, deps.ctx.clock, { type: 'webhook.created', organizationId: null, actor: call.actor, data: { webhook_id: created.endpoint.id, url: body.url } });
      return created;
    });
    return { ...toWebhookView(endpoint), secret };
  });

  api.add({ method: 'get', path: '/webhooks', tag, summary: 'List webhook endpoints', response: s.listOf(webhook) },
    async () => ({ data: (await listWebhooks(deps.db)).map(toWebhookView), list_metadata: { after: null } }));

  api.add({ method: 'get', path: '/webhooks/:id', tag, summary: 'Get a webhook endpoint', response: webhook, errors: [404] },
    async ({ params }) => toWebhookView(await getWebhook(deps.db, params.id!)));

  api.add({ method: 'delete', path: '/webhooks/:id', tag, summary: 'Remove a webhook endpoint and its pending deliveries', status: 204, errors: [404] },
    async ({ params, ctx }) => {
      const call = callFor(deps, ctx);
      await deps.uow(async (trx) => {
        const endpoint = await getWebhook(trx, params.id!);
        await deleteWebhook(trx, params.id!);
        await recordEvent(trx, deps.ctx.clock, { type: 'webhook.deleted', organizationId: null, actor: call.actor, data: { webhook_id: endpoint.id, url: endpoint.url } });
      });
    });

  api.add({ method: 'get', path: '/webhooks/:id/deliveries', tag, summary: "An endpoint's deliveries: status, attempts and the last response", query: pageQuery, response: s.listOf(delivery), errors: [404] },
    async ({ params, query }) => toPage(await listDeliveries(deps.db, params.id!, query), query.limit, toDeliveryView));
}
