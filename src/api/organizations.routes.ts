import { pageQuery, toPage } from '../http/pagination.ts';
import {
  createOrganization, deleteOrganization, getOrganization, listOrganizations, toOrganizationView, updateOrganization,
} from '../orgs/organizations.service.ts';
import { type ApiDeps, callFor } from './deps.ts';
import type { ApiRegistry } from './registry.ts';
import * as s from './schemas.ts';

export function registerOrganizationRoutes(api: ApiRegistry, deps: ApiDeps): void {
  const tag = 'Organizations';
  api.add({ method: 'post', path: '/organizations', tag, summary: 'Create an organization', body: s.organizationCreate, response: s.organization, status: 201 },
    async ({ body, ctx }) => toOrganizationView(await deps.uow((trx) => createOrganization(trx, callFor(deps, ctx), body))));

  api.add({ method: 'get', path: '/organizations', tag, summary: 'List organizations', query: pageQuery, response: s.listOf(s.organization) },
    async ({ query }) => toPage(await listOrganizations(deps.db, query), query.limit, toOrganizationView));

  api.add({ method: 'get', path: '/organizations/:id', tag, summary: 'Get an organization', response: s.organization, errors: [404] },
    async ({ params }) => toOrganizationView(await getOrganization(deps.db, params.id!)));

  api.add({ method: 'patch', path: '/organizations/:id', tag, summary: 'Update an organization', body: s.organizationUpdate, response: s.organization, errors: [404] },
    async ({ body, params, ctx }) => toOrganizationView(await deps.uow((trx) => updateOrganization(trx, callFor(deps, ctx), params.id!, body))));

  api.add({ method: 'delete', path: '/organizations/:id', tag, summary: 'Delete an organization with its domains, contacts, sites and memberships (users stay)', status: 204, errors: [404] },
    async ({ params, ctx }) => deps.uow((trx) => deleteOrganization(trx, callFor(deps, ctx), params.id!)));
}
