import { sql } from 'kysely';
import type { Call } from '../../context.ts';
import { isId } from '../../crypto/ids.ts';
import type { Executor } from '../../db/database.ts';
import type { Connection } from '../../db/schema.ts';
import { AppError, conflict } from '../../http/errors.ts';
import type { AttributeMapping } from '../../sso/attribute-mapping.ts';
import { activateConnection, createConnection, deactivateConnection, missingSettings, updateConnection } from '../../sso/connections.service.ts';
import { findProvider, type Protocol, type ProviderKey } from '../../sso/providers.ts';
import type { IdpSettings } from '../../sso/saml/idp-settings.ts';
import { connectionEvents, lastSuccessfulTest } from './sso-test.service.ts';
import { connectionName } from './sso-wizard.view.ts';

/**
 * The rules of the SSO setup wizard (DESIGN.md Setup wizard): progress is the `draft` connection itself,
 * so a new link continues where the last one stopped; choosing another provider keeps what still applies;
 * a connection is activated only after a test sign-in of its current settings succeeded. Every function
 * takes the session's org, never one from the URL.
 */

/** The wizard's steps, in order. */
export const WIZARD_STEPS = ['provider', 'instructions', 'idp', 'mapping', 'test', 'activate'] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

/** The connection types the wizard sets up (both ship): handed to activateConnection. */
const SUPPORTED_TYPES = ['saml', 'oidc'] as const;

/**
 * The session org's connection `id`. Another org's connection is as unknown as one that does not exist:
 * 404, and nothing about it is read or changed (idor check).
 */
export async function wizardConnection(db: Executor, organizationId: string, id: unknown): Promise<Connection> {
  const row = isId('conn', id)
    ? await db.selectFrom('connections').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst()
    : undefined;
  if (!row) throw new AppError(404, 'connection_not_found', 'Your organization has no single sign-on connection at this address. Go back to the start of the setup and continue from there.');
  return row;
}

/**
 * The connection the wizard continues with: the draft (or switched-off connection) changed last, else the
 * active one. A draft wins over an active connection: it is the replacement being set up.
 */
export async function currentConnection(db: Executor, organizationId: string): Promise<{ current: Connection | undefined; active: Connection | undefined }> {
  const rows = await db.selectFrom('connections').selectAll().where('organization_id', '=', organizationId).orderBy('updated_at', 'desc').orderBy('id', 'desc').execute();
  const active = rows.find((r) => r.state === 'active');
  const draft = rows.find((r) => r.state === 'draft') ?? rows.find((r) => r.state === 'inactive');
  return { current: draft ?? active, active };
}

/** A connection that signs people in is changed only by replacing it: sign-in keeps working meanwhile. */
export function assertEditable(connection: Connection): void {
  if (connection.state === 'active') {
    throw conflict('connection_active', `${connection.name} is active and signs people in, so the setup does not change it. To change it, choose a provider again: that sets up a replacement, which takes over once it is tested and activated.`);
  }
}

/**
 * The provider (and protocol) the admin picked. The same protocol keeps the connection and everything
 * collected so far (the IdP settings, the attribute names the admin typed); another protocol continues the
 * org's draft of that protocol, or starts one. An active connection is never changed: a draft replaces it.
 */
export async function chooseProvider(db: Executor, call: Call, organizationId: string, choice: { provider: ProviderKey; protocol: Protocol }, from: Connection | undefined): Promise<Connection> {
  if (from && from.state !== 'active' && from.type === choice.protocol) {
    return from.provider === choice.provider ? from : switchProvider(db, call, from, choice.provider);
  }
  const other = await db
    .selectFrom('connections')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('type', '=', choice.protocol)
    .where('state', '!=', 'active')
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (other) return switchProvider(db, call, other, choice.provider);
  return createConnection(db, call, organizationId, { type: choice.protocol, provider: choice.provider, name: connectionName(choice.provider, choice.protocol) });
}

async function switchProvider(db: Executor, call: Call, connection: Connection, provider: ProviderKey): Promise<Connection> {
  // The name follows the provider unless it was named otherwise (through the API).
  const named = [connectionName(connection.provider, connection.type), `${findProvider(connection.provider)?.name} ${connection.type.toUpperCase()}`];
  const renamed = named.includes(connection.name) ? { name: connectionName(provider, connection.type) } : {};
  return updateConnection(db, call, connection.id, { provider, ...renamed });
}

/** The IdP's side, already checked (metadata downloaded and read, discovery answered) outside the transaction. */
export type IdpInput = { saml: IdpSettings } | { oidc: { issuer: string; client_id: string; client_secret: string } };

export async function saveIdpSettings(db: Executor, call: Call, connection: Connection, input: IdpInput): Promise<Connection> {
  assertEditable(connection);
  if ('saml' in input) return updateConnection(db, call, connection.id, { saml: input.saml });
  // The secret is sealed at rest and never shown again: an empty field keeps the one already saved.
  return updateConnection(db, call, connection.id, { oidc: { ...input.oidc, scopes: connection.oidc_scopes?.split(' ') } });
}

/** The connection's client secret, for a form that left it empty to keep it (never rendered). */
export function savedClientSecret(call: Call, connection: Connection): string | undefined {
  return connection.oidc_client_secret_sealed ? call.ctx.box.open(connection.oidc_client_secret_sealed, `connection-secret:${connection.id}`) : undefined;
}

export async function saveMapping(db: Executor, call: Call, connection: Connection, mapping: AttributeMapping): Promise<Connection> {
  assertEditable(connection);
  return updateConnection(db, call, connection.id, { attribute_mapping: mapping });
}

/** What the connection has done so far, for the step indicator and "continue where you stopped". */
export interface Progress {
  settingsMissing: string[];
  mappingSaved: boolean;
  tested: { at: string; email: string } | undefined;
}

export async function wizardProgress(db: Executor, connection: Connection): Promise<Progress> {
  const [settingsMissing, mapping, tested] = await Promise.all([
    missingSettings(db, connection),
    // The mapping step saves the names even when they are the defaults: its event says the step was done.
    connectionEvents(db, connection, ['connection.updated']).where(sql<boolean>`data like ${'%"attribute\\_mapping"%'} escape '\\'`).select('id').limit(1).executeTakeFirst(),
    lastSuccessfulTest(db, connection),
  ]);
  return { settingsMissing, mappingSaved: mapping !== undefined, tested };
}

/** The step a returning admin continues at. */
export function resumeStep(connection: Connection, progress: Progress): WizardStep {
  if (connection.state === 'active') return 'test';
  if (progress.settingsMissing.length > 0) return 'instructions';
  if (!progress.mappingSaved) return 'mapping';
  if (!progress.tested) return 'test';
  return 'activate';
}

/**
 * Turns the connection on, only once a test sign-in of its current settings succeeded. It replaces the
 * org's active connection, if any, in the same transaction: people sign in through exactly one.
 */
export async function activateTested(db: Executor, call: Call, connection: Connection): Promise<{ connection: Connection; replaced: Connection[] }> {
  if (connection.state === 'active') return { connection, replaced: [] };
  if (!(await lastSuccessfulTest(db, connection))) {
    throw new AppError(409, 'test_required', 'Run a successful test sign-in before activating: it proves that your identity provider and Gatehouse understand each other, so nobody gets locked out.');
  }
  const replaced = await db.selectFrom('connections').selectAll().where('organization_id', '=', connection.organization_id).where('state', '=', 'active').where('id', '!=', connection.id).execute();
  for (const old of replaced) await deactivateConnection(db, call, old.id);
  return { connection: await activateConnection(db, call, connection.id, SUPPORTED_TYPES), replaced };
}

export async function deactivate(db: Executor, call: Call, connection: Connection): Promise<Connection> {
  return deactivateConnection(db, call, connection.id);
}
