import { pageQuery, toPage } from '../http/pagination.ts';
import { getOrganization } from '../orgs/organizations.service.ts';
import { createInvitation, getInvitation, listInvitations, revokeInvitation, toInvitationView } from '../users/invitations.service.ts';
import { type ApiDeps, callFor } from './deps.ts';
import type { ApiRegistry } from './registry.ts';
import * as s from './schemas.ts';

export function registerInvitationRoutes(api: ApiRegistry, deps: ApiDeps): void {
  const tag = 'Invitations';
  const now = () => deps.ctx.clock.now();
  api.add({ method: 'post', path: '/organizations/:id/invitations', tag, summary: 'Invite someone by email with a role; mails the accept link (shown once as accept_url)', body: s.invitationCreate, response: s.invitationCreated, status: 201, errors: [404, 409] },
    async ({ body, params, ctx }) => {
      const { invitation, acceptUrl } = await deps.uow((trx) => createInvitation(trx, callFor(deps, ctx), params.id!, body));
      return { ...toInvitationView(invitation, now()), accept_url: acceptUrl };
    });

  api.add({ method: 'get', path: '/organizations/:id/invitations', tag, summary: "List an organization's invitations", query: pageQuery, response: s.listOf(s.invitation), errors: [404] },
    async ({ params, query }) => {
      await getOrganization(deps.db, params.id!);
      return toPage(await listInvitations(deps.db, params.id!, query), query.limit, (row) => toInvitationView(row, now()));
    });

  api.add({ method: 'get', path: '/invitations/:id', tag, summary: 'Get an invitation', response: s.invitation, errors: [404] },
    async ({ params }) => toInvitationView(await getInvitation(deps.db, params.id!), now()));

  api.add({ method: 'delete', path: '/invitations/:id', tag, summary: 'Revoke a pending invitation', status: 204, errors: [404, 409] },
    async ({ params, ctx }) => {
      await deps.uow((trx) => revokeInvitation(trx, callFor(deps, ctx), params.id!));
    });
}
