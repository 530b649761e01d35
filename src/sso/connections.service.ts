import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import type { Connection, ConnectionCertificate, ConnectionState, ConnectionType } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { AppError, conflict, fieldInvalid, notFound } from '../http/errors.ts';
import { getOrganization } from '../orgs/organizations.service.ts';
import type { AttributeMapping } from './attribute-mapping.ts';
import { findProvider } from './providers.ts';
import type { IdpSettings } from './saml/idp-settings.ts';
import { samlEndpoints } from './saml/sp-endpoints.ts';
import { listCertificates, replaceCertificates } from './connection-certificates.ts';

// The IdP signing certificates of a connection have their own module; callers reach them through here too.
export { addCertificate, listCertificates, removeCertificate, replaceCertificates } from './connection-certificates.ts';

export interface ConnectionView {
  id: string;
  organization_id: string;
  type: ConnectionType;
  provider: string;
  name: string;
  state: ConnectionState;
  attribute_mapping: AttributeMapping;
  idp_initiated: boolean;
  idp_initiated_client_id: string | null;
  saml?: {
    sp_entity_id: string;
    acs_url: string;
    sp_metadata_url: string;
    idp_entity_id: string | null;
    sso_url: string | null;
    sso_binding: 'redirect' | 'post' | null;
    metadata_url: string | null;
    metadata_fetched_at: string | null;
    metadata_error: string | null;
    certificates: Array<{ fingerprint_sha256: string; subject: string; not_before: string; not_after: string; source: string }>;
  };
  oidc?: { issuer: string | null; client_id: string | null; redirect_uri: string; scopes: string[]; trust_emails: boolean | null };
  activated_at: string | null;
  created_at: string;
  updated_at: string;
}

export function toConnectionView(row: Connection, certificates: ConnectionCertificate[], baseUrl: string): ConnectionView {
  const view: ConnectionView = {
    id: row.id,
    organization_id: row.organization_id,
    type: row.type,
    provider: row.provider,
    name: row.name,
    state: row.state,
    attribute_mapping: JSON.parse(row.attribute_mapping) as AttributeMapping,
    idp_initiated: row.idp_initiated === 1,
    idp_initiated_client_id: row.idp_initiated_client_id,
    activated_at: row.activated_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
  if (row.type === 'saml') {
    const sp = samlEndpoints(baseUrl, row.id);
    view.saml = {
      sp_entity_id: sp.entityId,
      acs_url: sp.acsUrl,
      sp_metadata_url: sp.metadataUrl,
      idp_entity_id: row.saml_idp_entity_id,
      sso_url: row.saml_sso_url,
      sso_binding: row.saml_sso_binding,
      metadata_url: row.saml_metadata_url,
      metadata_fetched_at: row.saml_metadata_fetched_at,
      metadata_error: row.saml_metadata_error,
      certificates: certificates.map((c) => ({ fingerprint_sha256: c.fingerprint_sha256, subject: c.subject, not_before: c.not_before, not_after: c.not_after, source: c.source })),
    };
  } else {
    view.oidc = {
      issuer: row.oidc_issuer,
      client_id: row.oidc_client_id,
      redirect_uri: `${baseUrl}/sso/oidc/${row.id}/callback`,
      scopes: (row.oidc_scopes ?? 'openid email profile').split(' '),
      trust_emails: row.oidc_trust_emails === null ? null : row.oidc_trust_emails === 1,
    };
  }
  return view;
}

export async function getConnection(db: Executor, id: string): Promise<Connection> {
  const row = await db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('connection', id);
  return row;
}

/** The org's active connection of this type (the most recently activated), for home-realm routing. */
export async function activeConnectionOfType(db: Executor, organizationId: string, type: ConnectionType): Promise<{ id: string; name: string } | undefined> {
  return db.selectFrom('connections').select(['id', 'name']).where('organization_id', '=', organizationId).where('type', '=', type).where('state', '=', 'active').orderBy('activated_at', 'desc').executeTakeFirst();
}

export async function listConnections(db: Executor, organizationId: string): Promise<Connection[]> {
  return db.selectFrom('connections').selectAll().where('organization_id', '=', organizationId).orderBy('id').execute();
}


export interface ConnectionInput {
  type: ConnectionType;
  provider: string;
  name?: string;
  saml?: IdpSettings;
  oidc?: { issuer: string; client_id: string; client_secret: string; scopes?: string[]; trust_emails?: boolean };
  attribute_mapping?: AttributeMapping;
  idp_initiated?: boolean;
  idp_initiated_client_id?: string | null;
}

function checkProvider(type: ConnectionType, provider: string): void {
  const entry = findProvider(provider);
  if (!entry) throw fieldInvalid('provider', 'unknown_provider', `Unknown identity provider "${provider}".`);
  if (!entry.protocols.includes(type)) {
    throw fieldInvalid('provider', 'protocol_not_supported', `${entry.name} connections use ${entry.protocols.join(' or ')}, not ${type}.`);
  }
}

/** Whether the org may have a connection of this type and provider; checked before any network work. */
export async function assertConnectionAllowed(db: Executor, organizationId: string, type: ConnectionType, provider: string): Promise<void> {
  const org = await getOrganization(db, organizationId);
  if (!org.sso_entitled) {
    throw conflict('sso_not_entitled', `${org.name} is not entitled to single sign-on: set sso_entitled on the organization first.`);
  }
  checkProvider(type, provider);
}

/** Creates a `draft` connection; only orgs entitled to SSO can have one. */
export async function createConnection(db: Executor, call: Call, organizationId: string, input: ConnectionInput): Promise<Connection> {
  await assertConnectionAllowed(db, organizationId, input.type, input.provider);
  const now = call.ctx.clock.now().toISOString();
  const row: Connection = {
    id: newId('conn'),
    organization_id: organizationId,
    type: input.type,
    provider: input.provider,
    name: input.name ?? `${findProvider(input.provider)!.name} ${input.type === 'saml' ? 'SAML' : 'OIDC'}`,
    state: 'draft',
    attribute_mapping: JSON.stringify(input.attribute_mapping ?? {}),
    idp_initiated: input.idp_initiated ? 1 : 0,
    idp_initiated_client_id: input.idp_initiated_client_id ?? null,
    saml_idp_entity_id: null,
    saml_sso_url: null,
    saml_sso_binding: null,
    saml_metadata_url: null,
    saml_metadata_fetched_at: null,
    saml_metadata_error: null,
    oidc_issuer: input.oidc?.issuer ?? null,
    oidc_client_id: input.oidc?.client_id ?? null,
    oidc_client_secret_sealed: null,
    oidc_scopes: input.oidc?.scopes?.join(' ') ?? null,
    oidc_trust_emails: input.oidc?.trust_emails === undefined ? null : input.oidc.trust_emails ? 1 : 0,
    activated_at: null,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('connections').values(row).execute();
  if (input.oidc) await sealClientSecret(db, call, row.id, input.oidc.client_secret);
  if (input.saml) await applySamlSettings(db, call, row.id, input.saml);
  await recordEvent(db, call.ctx.clock, { type: 'connection.created', organizationId, actor: call.actor, data: { connection_id: row.id, type: row.type, provider: row.provider } });
  return getConnection(db, row.id);
}

async function sealClientSecret(db: Executor, call: Call, id: string, secret: string): Promise<void> {
  const sealed = call.ctx.box.seal(secret, `connection-secret:${id}`);
  await db.updateTable('connections').set({ oidc_client_secret_sealed: sealed }).where('id', '=', id).execute();
}

/**
 * Replaces the IdP's SAML settings. Certificates from metadata replace the previous metadata ones;
 * settings typed by hand replace every certificate.
 */
export async function applySamlSettings(db: Executor, call: Call, id: string, settings: IdpSettings): Promise<void> {
  const now = call.ctx.clock.now().toISOString();
  await db
    .updateTable('connections')
    .set({
      saml_idp_entity_id: settings.entityId,
      saml_sso_url: settings.ssoUrl,
      saml_sso_binding: settings.binding,
      saml_metadata_url: settings.metadataUrl,
      saml_metadata_fetched_at: settings.metadataUrl ? now : null,
      saml_metadata_error: null,
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
  await replaceCertificates(db, call, id, settings.certificates, settings.source);
}

export type ConnectionChanges = Partial<Omit<ConnectionInput, 'type'>>;

export async function updateConnection(db: Executor, call: Call, id: string, changes: ConnectionChanges): Promise<Connection> {
  const row = await getConnection(db, id);
  if (changes.provider !== undefined) checkProvider(row.type, changes.provider);
  if (changes.saml && row.type !== 'saml') throw fieldInvalid('saml', 'wrong_type', 'This is an OIDC connection: send oidc settings.');
  if (changes.oidc && row.type !== 'oidc') throw fieldInvalid('oidc', 'wrong_type', 'This is a SAML connection: send saml settings.');
  const now = call.ctx.clock.now().toISOString();
  await db
    .updateTable('connections')
    .set({
      ...(changes.provider !== undefined ? { provider: changes.provider } : {}),
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.attribute_mapping !== undefined ? { attribute_mapping: JSON.stringify(changes.attribute_mapping) } : {}),
      ...(changes.idp_initiated !== undefined ? { idp_initiated: changes.idp_initiated ? 1 : 0 } : {}),
      ...(changes.idp_initiated_client_id !== undefined ? { idp_initiated_client_id: changes.idp_initiated_client_id } : {}),
      ...(changes.oidc ? { oidc_issuer: changes.oidc.issuer, oidc_client_id: changes.oidc.client_id, oidc_scopes: changes.oidc.scopes?.join(' ') ?? null, oidc_trust_emails: changes.oidc.trust_emails === undefined ? null : changes.oidc.trust_emails ? 1 : 0 } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
  if (changes.oidc) await sealClientSecret(db, call, id, changes.oidc.client_secret);
  if (changes.saml) await applySamlSettings(db, call, id, changes.saml);
  await recordEvent(db, call.ctx.clock, {
    type: 'connection.updated',
    organizationId: row.organization_id,
    actor: call.actor,
    data: { connection_id: id, fields: Object.keys(changes).filter((k) => changes[k as keyof ConnectionChanges] !== undefined) },
  });
  return getConnection(db, id);
}

/** What a connection lacks before it can sign anyone in; empty when it is complete. */
export async function missingSettings(db: Executor, row: Connection): Promise<string[]> {
  if (row.type === 'oidc') {
    const missing = [];
    if (!row.oidc_issuer) missing.push('the issuer');
    if (!row.oidc_client_id) missing.push('the client id');
    if (!row.oidc_client_secret_sealed) missing.push('the client secret');
    return missing;
  }
  const missing = [];
  if (!row.saml_idp_entity_id) missing.push('the IdP entity id');
  if (!row.saml_sso_url) missing.push('the IdP single sign-on URL');
  if ((await listCertificates(db, row.id)).length === 0) missing.push('an IdP signing certificate');
  return missing;
}

export async function activateConnection(db: Executor, call: Call, id: string, supportedTypes: readonly string[]): Promise<Connection> {
  const row = await getConnection(db, id);
  if (row.state === 'active') return row;
  if (!supportedTypes.includes(row.type)) {
    throw new AppError(422, 'type_not_supported', `${row.type.toUpperCase()} sign-in is not available in this version of Gatehouse yet; the connection stays a draft.`);
  }
  const missing = await missingSettings(db, row);
  if (missing.length > 0) throw new AppError(422, 'connection_incomplete', `The connection cannot be activated without ${missing.join(', ')}.`);
  const now = call.ctx.clock.now().toISOString();
  await db.updateTable('connections').set({ state: 'active', activated_at: now, updated_at: now }).where('id', '=', id).execute();
  await recordEvent(db, call.ctx.clock, { type: 'connection.activated', organizationId: row.organization_id, actor: call.actor, data: { connection_id: id } });
  return getConnection(db, id);
}

export async function deactivateConnection(db: Executor, call: Call, id: string): Promise<Connection> {
  const row = await getConnection(db, id);
  if (row.state !== 'active') return row;
  const now = call.ctx.clock.now().toISOString();
  await db.updateTable('connections').set({ state: 'inactive', updated_at: now }).where('id', '=', id).execute();
  await recordEvent(db, call.ctx.clock, { type: 'connection.deactivated', organizationId: row.organization_id, actor: call.actor, data: { connection_id: id } });
  return getConnection(db, id);
}

/** Deletes the connection and the IdP identities linked through it; the people keep their accounts. */
export async function deleteConnection(db: Executor, call: Call, id: string): Promise<void> {
  const row = await getConnection(db, id);
  await db.deleteFrom('connections').where('id', '=', id).execute();
  await recordEvent(db, call.ctx.clock, { type: 'connection.deleted', organizationId: row.organization_id, actor: call.actor, data: { connection_id: id, type: row.type } });
}
