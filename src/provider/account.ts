import type { Executor } from '../db/database.ts';
import { findMembership, fullName } from '../users/users.repository.ts';

/** The claims Gatehouse issues, by scope (DESIGN.md "Sign-in"). */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'family_name'],
  organization: ['org_id', 'org_role', 'sites'],
} as const;

export const SCOPES = ['openid', 'offline_access', 'email', 'profile', 'organization'];

export interface SignInOrganization {
  organizationId: string;
  userId: string;
}

/** The org a grant's sign-in chose (written when the sign-in finished). */
export async function grantOrganization(db: Executor, grantId: string | undefined): Promise<SignInOrganization | undefined> {
  if (!grantId) return undefined;
  const row = await db.selectFrom('grant_organizations').select(['organization_id', 'user_id']).where('grant_id', '=', grantId).executeTakeFirst();
  return row ? { organizationId: row.organization_id, userId: row.user_id } : undefined;
}

export type AccountClaims = Record<string, unknown>;

/**
 * Claims for a user in the org of this grant. Undefined when the person or their membership is gone or
 * disabled: node-oidc-provider then refuses the code exchange, the refresh and userinfo, so a disable
 * takes effect at the next token request, not at the next sign-in.
 */
export async function loadAccountClaims(db: Executor, userId: string, grantId: string | undefined): Promise<AccountClaims | undefined> {
  const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!user) return undefined;
  const claims: AccountClaims = {
    sub: user.id,
    email: user.email,
    email_verified: user.email_verified === 1,
    name: fullName(user) ?? undefined,
    given_name: user.first_name ?? undefined,
    family_name: user.last_name ?? undefined,
  };
  const org = await grantOrganization(db, grantId);
  if (!org) return claims;
  const membership = await findMembership(db, org.organizationId, userId);
  if (!membership || membership.state !== 'active') return undefined;
  const sites = await db
    .selectFrom('site_assignments')
    .innerJoin('sites', 'sites.id', 'site_assignments.site_id')
    .select(['sites.id', 'sites.name', 'site_assignments.role'])
    .where('site_assignments.user_id', '=', userId)
    .where('site_assignments.organization_id', '=', org.organizationId)
    .orderBy('sites.name')
    .execute();
  return { ...claims, org_id: org.organizationId, org_role: membership.role, sites };
}
