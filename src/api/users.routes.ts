import { pageQuery, toPage } from '../http/pagination.ts';
import { getOrganization } from '../orgs/organizations.service.ts';
import { getSite } from '../orgs/sites.service.ts';
import { assignSite, disableMembership, enableMembership, setMembershipRole, unassignSite } from '../users/provisioning.ts';
import {
  getMembership, getUser, listMemberships, listSiteAssignments, listUsers, toMembershipView, toSiteAssignmentView, toUserView,
} from '../users/users.repository.ts';
import { type ApiDeps, callFor } from './deps.ts';
import type { ApiRegistry } from './registry.ts';
import * as s from './schemas.ts';

export function registerUserRoutes(api: ApiRegistry, deps: ApiDeps): void {
  api.add({ method: 'get', path: '/users', tag: 'Users', summary: 'List users, by organization, exact email, or a search in email and names', query: pageQuery.extend(s.userQuery.shape), response: s.listOf(s.user) },
    async ({ query }) => toPage(await listUsers(deps.db, { ...query, organizationId: query.organization_id }), query.limit, toUserView));

  api.add({ method: 'get', path: '/users/:id', tag: 'Users', summary: 'Get a user', response: s.user, errors: [404] },
    async ({ params }) => toUserView(await getUser(deps.db, params.id!)));

  const tag = 'Memberships';
  api.add({ method: 'get', path: '/organizations/:id/memberships', tag, summary: "List an organization's memberships with their users", query: pageQuery, response: s.listOf(s.membership), errors: [404] },
    async ({ params, query }) => {
      await getOrganization(deps.db, params.id!);
      return toPage((await listMemberships(deps.db, params.id!, query)).map((r) => ({ ...r, id: r.membership.id })), query.limit, (r) => toMembershipView(r.membership, r.user));
    });

  const membershipView = async (id: string) => {
    const membership = await getMembership(deps.db, id);
    return toMembershipView(membership, await getUser(deps.db, membership.user_id));
  };

  api.add({ method: 'get', path: '/memberships/:id', tag, summary: 'Get a membership', response: s.membership, errors: [404] },
    async ({ params }) => membershipView(params.id!));

  api.add({ method: 'patch', path: '/memberships/:id', tag, summary: "Change a member's role", body: s.membershipUpdate, response: s.membership, errors: [404] },
    async ({ body, params, ctx }) => {
      await deps.uow((trx) => setMembershipRole(trx, callFor(deps, ctx), params.id!, body.role));
      return membershipView(params.id!);
    });

  api.add({ method: 'post', path: '/memberships/:id/disable', tag, summary: 'Disable a membership (disabled_by: admin; the directory cannot re-enable it)', response: s.membership, errors: [404] },
    async ({ params, ctx }) => {
      await deps.uow((trx) => disableMembership(trx, callFor(deps, ctx), params.id!, 'admin'));
      return membershipView(params.id!);
    });

  api.add({ method: 'post', path: '/memberships/:id/enable', tag, summary: 'Enable a membership, whoever disabled it', response: s.membership, errors: [404] },
    async ({ params, ctx }) => {
      await deps.uow((trx) => enableMembership(trx, callFor(deps, ctx), params.id!, 'admin'));
      return membershipView(params.id!);
    });

  const sa = 'Site assignments';
  api.add({ method: 'get', path: '/users/:id/site_assignments', tag: sa, summary: "List a user's site assignments", query: s.eventQuery.pick({ organization_id: true }), response: s.listOf(s.siteAssignment), errors: [404] },
    async ({ params, query }) => {
      await getUser(deps.db, params.id!);
      return { data: (await listSiteAssignments(deps.db, params.id!, query.organization_id)).map(toSiteAssignmentView), list_metadata: { after: null } };
    });

  api.add({ method: 'put', path: '/sites/:siteId/assignments/:userId', tag: sa, summary: 'Assign a member to a site with a site role (SITE_ROLES), or change that role', body: s.siteAssignmentPut, response: s.siteAssignment, errors: [404] },
    async ({ body, params, ctx }) => {
      const { assignment } = await deps.uow((trx) => assignSite(trx, callFor(deps, ctx), { siteId: params.siteId!, userId: params.userId!, role: body.role, source: 'manual' }));
      return toSiteAssignmentView({ ...assignment, site_name: (await getSite(deps.db, assignment.site_id)).name });
    });

  api.add({ method: 'delete', path: '/sites/:siteId/assignments/:userId', tag: sa, summary: 'Remove a user from a site', status: 204, errors: [404] },
    async ({ params, ctx }) => deps.uow((trx) => unassignSite(trx, callFor(deps, ctx), params.siteId!, params.userId!)));
}
