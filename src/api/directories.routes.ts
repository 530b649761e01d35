import { z } from 'zod';
import { getOrganization } from '../orgs/organizations.service.ts';
import {
  assertProvider, createDirectory, deleteDirectory, DIRECTORY_PROVIDERS, getDirectory, listDirectories, rotateDirectoryToken, toDirectoryView,
} from '../scim/directories.service.ts';
import { listGroupMappings, replaceGroupMappings } from '../scim/group-mappings.service.ts';
import { type ApiDeps, callFor } from './deps.ts';
import type { ApiRegistry } from './registry.ts';
import * as s from './schemas.ts';

const directory = z.object({
  id: z.string(), organization_id: z.string(), name: z.string(), provider: z.string(), state: z.enum(['active', 'inactive']),
  scim_base_url: z.string(), last_request_at: z.string().nullable(), token_rotated_at: z.string(), created_at: z.string(), updated_at: z.string(),
});
const directoryCreate = z.strictObject({
  provider: z.string().max(50).optional().describe(DIRECTORY_PROVIDERS.join(', ')),
  name: z.string().trim().min(1, 'name must not be empty.').max(200, 'name must be at most 200 characters.').optional(),
});
const mapping = z.strictObject({
  group: z.string().trim().min(1, 'group must name an IdP group (displayName or id).').max(300),
  org_role: s.orgRole.nullable().optional(),
  sites: z.array(z.strictObject({ site_id: s.ids.site, role: z.string().min(1, 'role is required.') })).max(100).optional(),
});
const mappings = z.array(mapping).max(500, 'at most 500 group mappings.');

export function registerDirectoryRoutes(api: ApiRegistry, deps: ApiDeps): void {
  const tag = 'Directories';
  const view = (row: Parameters<typeof toDirectoryView>[0]) => toDirectoryView(row, deps.ctx.config.baseUrl);

  api.add({
    method: 'post', path: '/organizations/:id/directories', tag, body: directoryCreate, bodyOptional: true, status: 201, errors: [404],
    response: directory.extend({ bearer_token: z.string().describe('only in this answer') }),
    summary: 'Create a SCIM directory; answers its base URL and bearer token (shown once)',
  }, async ({ body, params, ctx }) => {
    assertProvider(body.provider);
    const { directory: row, token } = await deps.uow((trx) => createDirectory(trx, callFor(deps, ctx), params.id!, body));
    return { ...view(row), bearer_token: token };
  });

  api.add({ method: 'get', path: '/organizations/:id/directories', tag, summary: "List an organization's directories", response: s.listOf(directory), errors: [404] },
    async ({ params }) => {
      await getOrganization(deps.db, params.id!);
      return { data: (await listDirectories(deps.db, params.id!)).map(view), list_metadata: { after: null } };
    });

  api.add({ method: 'get', path: '/directories/:id', tag, summary: 'Get a directory', response: directory, errors: [404] },
    async ({ params }) => view(await getDirectory(deps.db, params.id!)));

  api.add({ method: 'delete', path: '/directories/:id', tag, summary: 'Delete a directory (its people keep their accounts and memberships)', status: 204, errors: [404] },
    async ({ params, ctx }) => deps.uow((trx) => deleteDirectory(trx, callFor(deps, ctx), params.id!)));

  api.add({ method: 'post', path: '/directories/:id/token', tag, summary: 'Rotate the bearer token (the old one stops working at once; shown once)', response: z.object({ bearer_token: z.string() }), errors: [404] },
    async ({ params, ctx }) => ({ bearer_token: (await deps.uow((trx) => rotateDirectoryToken(trx, callFor(deps, ctx), params.id!))).token }));

  api.add({ method: 'get', path: '/directories/:id/group_mappings', tag, summary: "The directory's group mappings", response: z.object({ data: mappings }), errors: [404] },
    async ({ params }) => {
      await getDirectory(deps.db, params.id!);
      return { data: await listGroupMappings(deps.db, params.id!) };
    });

  api.add({
    method: 'put', path: '/directories/:id/group_mappings', tag, body: z.strictObject({ data: mappings }), response: z.object({ data: mappings }), errors: [404],
    summary: 'Replace the group mappings (IdP group -> org role and/or sites with a site role) and apply them to everyone now',
  }, async ({ body, params, ctx }) => {
    const data = await deps.uow(async (trx) => replaceGroupMappings(trx, callFor(deps, ctx), await getDirectory(trx, params.id!), body.data));
    return { data };
  });
}
