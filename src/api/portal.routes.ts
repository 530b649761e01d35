import { z } from 'zod';
import { createPortalLink, getPortalLink, PORTAL_INTENTS, revokePortalLink, toPortalLinkView } from '../portal/portal-links.service.ts';
import { type ApiDeps, callFor } from './deps.ts';
import type { ApiRegistry } from './registry.ts';
import * as s from './schemas.ts';

const portalLink = z.object({
  id: z.string(), organization_id: z.string(), intent: z.enum(PORTAL_INTENTS), link: z.string().optional().describe('only in the answer that created it'),
  expires_at: z.string(), opened_at: z.string().nullable(), revoked_at: z.string().nullable(), created_at: z.string(),
});
const portalLinkCreate = z.strictObject({
  organization_id: s.ids.org,
  intent: z.enum(PORTAL_INTENTS, { error: `intent must be one of ${PORTAL_INTENTS.join(', ')}.` }),
  return_url: z.string().max(2048).optional(),
});

export function registerPortalRoutes(api: ApiRegistry, deps: ApiDeps): void {
  const tag = 'Portal';
  api.add({
    method: 'post', path: '/portal/links', tag, body: portalLinkCreate, status: 201, errors: [404, 409], response: portalLink,
    summary: 'Create a setup wizard link for one organization and intent (opens once, within PORTAL_LINK_TTL)',
  }, async ({ body, ctx }) => {
    const { row, link } = await deps.uow((trx) => createPortalLink(trx, callFor(deps, ctx), { organizationId: body.organization_id, intent: body.intent, returnUrl: body.return_url }));
    return { ...toPortalLinkView(row), link };
  });

  api.add({ method: 'get', path: '/portal/links/:id', tag, summary: 'Get a setup link (without the link itself)', response: portalLink, errors: [404] },
    async ({ params }) => toPortalLinkView(await getPortalLink(deps.db, params.id!)));

  api.add({ method: 'delete', path: '/portal/links/:id', tag, summary: 'Revoke a setup link and end the sessions it opened', response: portalLink, errors: [404] },
    async ({ params, ctx }) => toPortalLinkView(await deps.uow((trx) => revokePortalLink(trx, callFor(deps, ctx), params.id!))));
}
