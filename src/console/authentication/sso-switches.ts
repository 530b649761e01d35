import type { Call } from '../../context.ts';
import type { Executor } from '../../db/database.ts';
import type { Connection, Organization } from '../../db/schema.ts';
import { AppError } from '../../http/errors.ts';
import { getOrganization, updateOrganization } from '../../orgs/organizations.service.ts';
import { findProvider } from '../../sso/providers.ts';
import { notEntitledMessage } from './sso-portal-link.ts';

export interface SsoSwitches {
  auto_provision: boolean;
  enforce_sso: boolean;
}

/** The org's active connection, the one people sign in through (the most recently activated). */
export async function activeConnection(db: Executor, organizationId: string): Promise<Connection | undefined> {
  return db.selectFrom('connections').selectAll().where('organization_id', '=', organizationId).where('state', '=', 'active').orderBy('activated_at', 'desc').executeTakeFirst();
}

export const protocolLabel = (type: Connection['type']): string => (type === 'saml' ? 'SAML 2.0' : 'OpenID Connect');

export const providerLabel = (connection: Pick<Connection, 'provider'>): string => findProvider(connection.provider)?.name ?? connection.provider;

/**
 * Requiring SSO with no active connection would lock every member out (passwords refused, no IdP to go
 * to): refused until a connection signs people in. Answers that connection, for the confirmation page.
 */
export async function assertCanEnforce(db: Executor, organization: Organization): Promise<Connection> {
  if (!organization.sso_entitled) throw new AppError(409, 'sso_not_entitled', notEntitledMessage(organization.name));
  const active = await activeConnection(db, organization.id);
  if (!active) {
    throw new AppError(409, 'no_active_connection', 'Single sign-on can only be required once a connection is active: finish the SSO setup and activate it first. Nothing was changed.', {
      errors: [{ field: 'enforce_sso', code: 'no_active_connection', message: 'Needs an active connection.' }],
    });
  }
  return active;
}

/**
 * The SSO section's switches. Both belong to the SSO plan; turning enforcement on is checked again here,
 * in the transaction that writes it, so a connection switched off meanwhile cannot slip through.
 */
export async function saveSsoSwitches(db: Executor, call: Call, organizationId: string, switches: SsoSwitches): Promise<{ organization: Organization; changed: Array<keyof SsoSwitches> }> {
  const org = await getOrganization(db, organizationId);
  if (!org.sso_entitled) throw new AppError(409, 'sso_not_entitled', notEntitledMessage(org.name));
  if (switches.enforce_sso && !org.enforce_sso) await assertCanEnforce(db, org);
  const changed = (['auto_provision', 'enforce_sso'] as const).filter((key) => Boolean(org[key]) !== switches[key]);
  const organization = await updateOrganization(db, call, organizationId, switches);
  return { organization, changed };
}

/** What the flash message says after a save. */
export function switchesMessage(changed: Array<keyof SsoSwitches>, now: SsoSwitches): string {
  if (changed.length === 0) return 'Nothing to change: the switches were already set this way.';
  const says = {
    auto_provision: now.auto_provision ? 'Accounts are now created at first sign-in.' : 'Accounts are no longer created at first sign-in: only invited or directory-synced people get in.',
    enforce_sso: now.enforce_sso ? 'Single sign-on is now required: passwords no longer work for members.' : 'Single sign-on is no longer required: members may sign in with a password again.',
  };
  return changed.map((key) => says[key]).join(' ');
}
