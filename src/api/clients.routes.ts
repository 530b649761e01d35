import { z } from 'zod';
import { recordEvent } from '../events/activity.ts';
import { createClient, deleteClient, getClient, listClients, toClientView } from '../provider/clients.service.ts';
import { type ApiDeps, callFor } from './deps.ts';
import type { ApiRegistry } from './registry.ts';

const uri = z.string().max(2000, 'URLs must be at most 2000 characters.');
export const clientCreate = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty.').max(200, 'name must be at most 200 characters.'),
  redirect_uris: z.array(uri).min(1, 'redirect_uris needs at least one URL.').max(20, 'at most 20 redirect_uris.'),
  post_logout_redirect_uris: z.array(uri).max(20, 'at most 20 post_logout_redirect_uris.').optional(),
  initiate_login_uri: uri.nullable().optional(),
  allowed_origins: z.array(z.string().max(300)).max(20, 'at most 20 allowed_origins.').optional(),
  public: z.boolean().optional(),
});
const client = z.object({
  id: z.string(), client_id: z.string(), name: z.string(), public: z.boolean(), redirect_uris: z.array(z.string()),
  post_logout_redirect_uris: z.array(z.string()), initiate_login_uri: z.string().nullable(), allowed_origins: z.array(z.string()), created_at: z.string(),
});

export function registerClientRoutes(api: ApiRegistry, deps: ApiDeps): void {
  const tag = 'Clients';
  api.add({
    method: 'post', path: '/clients', tag, body: clientCreate, status: 201,
    response: client.extend({ client_secret: z.string().optional().describe('only in this answer; absent for public clients') }),
    summary: 'Register an application that signs in through Gatehouse (OIDC authorization code flow)',
  }, async ({ body, ctx }) => {
    const call = callFor(deps, ctx);
    const { client: row, secret } = await deps.uow(async (trx) => {
      const created = await createClient(trx, call, body);
      await recordEvent(trx, deps.ctx.clock, { type: 'client.created', organizationId: null, actor: call.actor, data: { client_id: created.client.client_id, name: created.client.name } });
      return created;
    });
    return { ...toClientView(row), ...(secret ? { client_secret: secret } : {}) };
  });

  api.add({ method: 'get', path: '/clients', tag, summary: 'List registered applications', response: z.object({ data: z.array(client), list_metadata: z.object({ after: z.null() }) }) },
    async () => ({ data: (await listClients(deps.db)).map(toClientView), list_metadata: { after: null } }));

  api.add({ method: 'get', path: '/clients/:id', tag, summary: 'Get an application', response: client, errors: [404] },
    async ({ params }) => toClientView(await getClient(deps.db, params.id!)));

  api.add({ method: 'delete', path: '/clients/:id', tag, summary: 'Remove an application; its tokens stop working', status: 204, errors: [404] },
    async ({ params, ctx }) => {
      const call = callFor(deps, ctx);
      await deps.uow(async (trx) => {
        const row = await getClient(trx, params.id!);
        await deleteClient(trx, params.id!);
        await recordEvent(trx, deps.ctx.clock, { type: 'client.deleted', organizationId: null, actor: call.actor, data: { client_id: row.client_id, name: row.name } });
      });
    });
}
