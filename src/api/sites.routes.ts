import { pageQuery, toPage } from '../http/pagination.ts';
import { getOrganization } from '../orgs/organizations.service.ts';
import { createSite, deleteSiteAndUnmap, getSite, listSites, renameSite, toSiteView } from '../orgs/sites.service.ts';
import { type ApiDeps, callFor } from './deps.ts';
import type { ApiRegistry } from './registry.ts';
import * as s from './schemas.ts';

export function registerSiteRoutes(api: ApiRegistry, deps: ApiDeps): void {
  const tag = 'Sites';
  api.add({ method: 'get', path: '/organizations/:id/sites', tag, summary: "List an organization's sites", query: pageQuery, response: s.listOf(s.site), errors: [404] },
    async ({ params, query }) => {
      await getOrganization(deps.db, params.id!);
      return toPage(await listSites(deps.db, params.id!, query), query.limit, toSiteView);
    });

  api.add({ method: 'post', path: '/organizations/:id/sites', tag, summary: 'Create a site', body: s.siteCreate, response: s.site, status: 201, errors: [404, 409] },
    async ({ body, params, ctx }) => toSiteView(await deps.uow((trx) => createSite(trx, callFor(deps, ctx), params.id!, body.name))));

  api.add({ method: 'get', path: '/sites/:id', tag, summary: 'Get a site', response: s.site, errors: [404] },
    async ({ params }) => toSiteView(await getSite(deps.db, params.id!)));

  api.add({ method: 'patch', path: '/sites/:id', tag, summary: 'Rename a site', body: s.siteCreate, response: s.site, errors: [404, 409] },
    async ({ body, params, ctx }) => toSiteView(await deps.uow((trx) => renameSite(trx, callFor(deps, ctx), params.id!, body.name))));

  api.add({ method: 'delete', path: '/sites/:id', tag, summary: 'Delete a site and its assignments', status: 204, errors: [404] },
    async ({ params, ctx }) => deps.uow(async (trx) => void (await deleteSiteAndUnmap(trx, callFor(deps, ctx), params.id!))));
}
