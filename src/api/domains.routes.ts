import { addDomain, applyDnsCheck, deleteDomain, getDomain, listDomains, toDomainView, verifyManually } from '../orgs/domains.service.ts';
import { getOrganization } from '../orgs/organizations.service.ts';
import { type ApiDeps, callFor } from './deps.ts';
import type { ApiRegistry } from './registry.ts';
import * as s from './schemas.ts';

export function registerDomainRoutes(api: ApiRegistry, deps: ApiDeps): void {
  const tag = 'Domains';
  api.add({ method: 'post', path: '/organizations/:id/domains', tag, summary: 'Add a domain; answers the TXT record to publish', body: s.domainCreate, response: s.domain, status: 201, errors: [404, 409] },
    async ({ body, params, ctx }) => toDomainView(await deps.uow((trx) => addDomain(trx, callFor(deps, ctx), params.id!, body.domain))));

  api.add({ method: 'get', path: '/organizations/:id/domains', tag, summary: "List an organization's domains", response: s.listOf(s.domain), errors: [404] },
    async ({ params }) => {
      await getOrganization(deps.db, params.id!);
      return { data: (await listDomains(deps.db, params.id!)).map(toDomainView), list_metadata: { after: null } };
    });

  api.add({ method: 'get', path: '/domains/:id', tag, summary: 'Get a domain', response: s.domain, errors: [404] },
    async ({ params }) => toDomainView(await getDomain(deps.db, params.id!)));

  api.add({
    method: 'post', path: '/domains/:id/verify', tag, body: s.domainVerify, bodyOptional: true, response: s.domain, errors: [404, 409],
    summary: 'Check the DNS TXT record now, or {"method":"manual"} when the operator knows the org owns the domain',
  }, async ({ body, params, ctx }) => {
    const call = callFor(deps, ctx);
    if (body.method === 'manual') return toDomainView(await deps.uow((trx) => verifyManually(trx, call, params.id!)));
    const domain = await getDomain(deps.db, params.id!);
    // The lookup happens outside any transaction: never wait on the network while holding the database.
    const check = domain.state === 'verified' ? { result: 'found' as const } : await deps.dns.check(domain.domain, domain.verification_value);
    return toDomainView(await deps.uow((trx) => applyDnsCheck(trx, call, params.id!, check)));
  });

  api.add({ method: 'delete', path: '/domains/:id', tag, summary: 'Remove a domain', status: 204, errors: [404] },
    async ({ params, ctx }) => deps.uow((trx) => deleteDomain(trx, callFor(deps, ctx), params.id!)));
}
