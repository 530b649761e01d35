import { z } from 'zod';
import {
  activateConnection, assertConnectionAllowed, createConnection, deactivateConnection, deleteConnection, getConnection, listCertificates, listConnections, toConnectionView, updateConnection,
} from '../sso/connections.service.ts';
import { getOrganization } from '../orgs/organizations.service.ts';
import { PROVIDER_KEYS } from '../sso/providers.ts';
import { resolveSamlSettings, type SamlSettingsInput } from '../sso/saml/idp-settings.ts';
import { discoverIssuer } from '../sso/oidc/upstream-client.ts';
import type { Connection } from '../db/schema.ts';
import { type ApiDeps, callFor } from './deps.ts';
import type { ApiRegistry } from './registry.ts';
import * as s from './schemas.ts';

const time = z.string();
const connection = z.object({
  id: z.string(), organization_id: z.string(), type: z.enum(['saml', 'oidc']), provider: z.string(), name: z.string(),
  state: z.enum(['draft', 'active', 'inactive']),
  attribute_mapping: z.object({ email: z.string().optional(), firstName: z.string().optional(), lastName: z.string().optional(), groups: z.string().optional() }),
  idp_initiated: z.boolean(), idp_initiated_client_id: z.string().nullable(),
  saml: z.object({
    sp_entity_id: z.string(), acs_url: z.string(), sp_metadata_url: z.string(), idp_entity_id: z.string().nullable(), sso_url: z.string().nullable(),
    sso_binding: z.enum(['redirect', 'post']).nullable(), metadata_url: z.string().nullable(), metadata_fetched_at: time.nullable(), metadata_error: z.string().nullable(),
    certificates: z.array(z.object({ fingerprint_sha256: z.string(), subject: z.string(), not_before: time, not_after: time, source: z.string() })),
  }).optional(),
  oidc: z.object({ issuer: z.string().nullable(), client_id: z.string().nullable(), redirect_uri: z.string(), scopes: z.array(z.string()) }).optional(),
  activated_at: time.nullable(), created_at: time, updated_at: time,
});

const attributeName = z.string().trim().min(1, 'an attribute name must not be empty.').max(512);
const attributeMapping = z.strictObject({ email: attributeName.optional(), firstName: attributeName.optional(), lastName: attributeName.optional(), groups: attributeName.optional() });
const entityId = z.string().trim().min(1).max(1024).optional().describe('which IdP of a metadata aggregate');
const samlSettings = z.union([
  z.strictObject({ metadata_xml: z.string().min(1, 'metadata_xml is empty.'), entity_id: entityId }),
  z.strictObject({ metadata_url: z.string().trim().min(1, 'metadata_url is empty.').max(2048), entity_id: entityId }),
  z.strictObject({
    idp_entity_id: z.string().trim().min(1, 'idp_entity_id is required.').max(1024),
    sso_url: z.string().trim().min(1, 'sso_url is required.').max(2048),
    certificates: z.array(z.string().max(65_536)).min(1, 'at least one certificate is required.').max(5, 'at most 5 certificates.'),
  }),
], { error: 'saml must be {metadata_xml}, {metadata_url} or {idp_entity_id, sso_url, certificates}.' });
const oidcSettings = z.strictObject({
  issuer: z.string().trim().url('issuer must be a URL.').max(2048),
  client_id: z.string().trim().min(1).max(512),
  client_secret: z.string().min(1).max(4096),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope is one word.')).max(20).optional(),
  trust_emails: z.boolean().optional().describe('accept emails the provider does not mark verified (default: per provider)'),
});
const common = {
  provider: z.enum(PROVIDER_KEYS, { error: `provider must be one of ${PROVIDER_KEYS.join(', ')}.` }),
  name: z.string().trim().min(1).max(200).optional(),
  attribute_mapping: attributeMapping.optional(),
  idp_initiated: z.boolean().optional(),
  idp_initiated_client_id: z.string().max(200).nullable().optional(),
};
const connectionCreate = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('saml'), ...common, saml: samlSettings.optional() }),
  z.strictObject({ type: z.literal('oidc'), ...common, oidc: oidcSettings.optional() }),
], { error: 'type must be saml or oidc.' });
const connectionUpdate = z.strictObject({ ...common, provider: common.provider.optional(), saml: samlSettings.optional(), oidc: oidcSettings.optional() });

export function registerConnectionRoutes(api: ApiRegistry, deps: ApiDeps, supportedTypes: readonly string[]): void {
  const tag = 'Connections';
  const view = async (row: Connection) => toConnectionView(row, await listCertificates(deps.db, row.id), deps.ctx.config.baseUrl);
  const settings = (input: SamlSettingsInput | undefined) => (input ? resolveSamlSettings(input, { now: deps.ctx.clock.now(), mode: deps.ctx.config.mode }) : undefined);

  api.add({
    method: 'post', path: '/organizations/:id/connections', tag, body: connectionCreate, status: 201, errors: [404, 409, 413],
    response: connection, summary: 'Create an SSO connection (state draft); IdP settings from metadata XML, a metadata URL, or by hand',
  }, async ({ body, params, ctx }) => {
    // Entitlement and provider first: no download for a connection that would be refused anyway.
    await assertConnectionAllowed(deps.db, params.id!, body.type, body.provider);
    const saml = body.type === 'saml' ? await settings(body.saml) : undefined;
    // The issuer is checked before anything is written: discovery must answer and name the same issuer.
    if (body.type === 'oidc' && body.oidc) await discoverIssuer(body.oidc.issuer, deps.ctx.config.mode);
    const row = await deps.uow((trx) => createConnection(trx, callFor(deps, ctx), params.id!, { ...body, saml, oidc: body.type === 'oidc' ? body.oidc : undefined }));
    return view(row);
  });

  api.add({ method: 'get', path: '/organizations/:id/connections', tag, summary: "List an organization's SSO connections", response: s.listOf(connection), errors: [404] },
    async ({ params }) => {
      await getOrganization(deps.db, params.id!);
      return { data: await Promise.all((await listConnections(deps.db, params.id!)).map(view)), list_metadata: { after: null } };
    });

  api.add({ method: 'get', path: '/connections/:id', tag, summary: 'Get an SSO connection', response: connection, errors: [404] },
    async ({ params }) => view(await getConnection(deps.db, params.id!)));

  api.add({
    method: 'patch', path: '/connections/:id', tag, body: connectionUpdate, response: connection, errors: [404, 413],
    summary: 'Change an SSO connection; saml settings replace the IdP settings (metadata certificates replace the previous ones)',
  }, async ({ body, params, ctx }) => {
    await getConnection(deps.db, params.id!);
    const saml = await settings(body.saml);
    if (body.oidc) await discoverIssuer(body.oidc.issuer, deps.ctx.config.mode);
    return view(await deps.uow((trx) => updateConnection(trx, callFor(deps, ctx), params.id!, { ...body, saml })));
  });

  api.add({ method: 'delete', path: '/connections/:id', tag, summary: 'Delete an SSO connection (people keep their accounts)', status: 204, errors: [404] },
    async ({ params, ctx }) => deps.uow((trx) => deleteConnection(trx, callFor(deps, ctx), params.id!)));

  api.add({ method: 'post', path: '/connections/:id/activate', tag, summary: 'Activate: people on the org\'s verified domains sign in through it', response: connection, errors: [404] },
    async ({ params, ctx }) => view(await deps.uow((trx) => activateConnection(trx, callFor(deps, ctx), params.id!, supportedTypes))));

  api.add({ method: 'post', path: '/connections/:id/deactivate', tag, summary: 'Deactivate: sign-in through it stops; settings are kept', response: connection, errors: [404] },
    async ({ params, ctx }) => view(await deps.uow((trx) => deactivateConnection(trx, callFor(deps, ctx), params.id!))));
}
