import { addItContact, listItContacts, removeItContact, toItContactView } from '../orgs/it-contacts.service.ts';
import { getOrganization } from '../orgs/organizations.service.ts';
import { type ApiDeps, callFor } from './deps.ts';
import type { ApiRegistry } from './registry.ts';
import * as s from './schemas.ts';

export function registerItContactRoutes(api: ApiRegistry, deps: ApiDeps): void {
  const tag = 'IT contacts';
  api.add({ method: 'get', path: '/organizations/:id/it_contacts', tag, summary: "List an organization's IT contacts (at most 20)", response: s.listOf(s.itContact), errors: [404] },
    async ({ params }) => {
      await getOrganization(deps.db, params.id!);
      return { data: (await listItContacts(deps.db, params.id!)).map(toItContactView), list_metadata: { after: null } };
    });

  api.add({
    method: 'post', path: '/organizations/:id/it_contacts', tag, body: s.itContactCreate, response: s.itContact, status: 201, errors: [404, 409],
    summary: 'Add an IT contact: a member by user_id, or an email with an optional name; mails them a notice',
  }, async ({ body, params, ctx }) => toItContactView(await deps.uow((trx) => addItContact(trx, callFor(deps, ctx), params.id!, body))));

  api.add({ method: 'delete', path: '/it_contacts/:id', tag, summary: 'Remove an IT contact', status: 204, errors: [404] },
    async ({ params, ctx }) => deps.uow((trx) => removeItContact(trx, callFor(deps, ctx), params.id!)));
}
