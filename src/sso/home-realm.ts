import type { Executor } from '../db/database.ts';
import type { Organization } from '../db/schema.ts';
import { emailDomain } from '../orgs/domain-name.ts';

/**
 * What an SSO connection type (SAML, OIDC: added by the SSO features) offers the sign-in router: the
 * active connection of an org, and where to send the browser to start signing in through it. The
 * upstream sign-in ends by writing a login ticket and redirecting back to `returnTo` (DESIGN.md Layout).
 */
export interface SsoConnectionType {
  type: string;
  activeConnection(db: Executor, organizationId: string): Promise<{ id: string; name: string } | undefined>;
  startUrl(connectionId: string, signIn: { interactionUid: string; loginHint: string | undefined }): Promise<string>;
}

export type SignInRoute =
  | { kind: 'sso'; organization: Organization; type: string; connectionId: string }
  | { kind: 'sso_required'; organization: Organization }
  | { kind: 'password'; organization: Organization | undefined };

/**
 * The ONE decision between SSO and password (home-realm discovery): an email on a domain verified by
 * an org with an active connection signs in through that IdP; an org that enforces SSO without an
 * active connection refuses passwords; everyone else uses a password.
 */
export async function routeSignIn(db: Executor, types: readonly SsoConnectionType[], email: string): Promise<SignInRoute> {
  const owner = await db
    .selectFrom('domains')
    .innerJoin('organizations', 'organizations.id', 'domains.organization_id')
    .selectAll('organizations')
    .where('domains.domain', '=', emailDomain(email))
    .where('domains.state', '=', 'verified')
    .executeTakeFirst();
  if (!owner) return { kind: 'password', organization: undefined };
  if (owner.sso_entitled) {
    for (const type of types) {
      const connection = await type.activeConnection(db, owner.id);
      if (connection) return { kind: 'sso', organization: owner, type: type.type, connectionId: connection.id };
    }
  }
  if (owner.enforce_sso) return { kind: 'sso_required', organization: owner };
  return { kind: 'password', organization: owner };
}
