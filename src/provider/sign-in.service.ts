import type { Call } from '../context.ts';
import type { Executor } from '../db/database.ts';
import type { Membership, Organization } from '../db/schema.ts';
import type { SignInRefusal } from '../events/catalogue.ts';
import { recordEvent } from '../events/activity.ts';

export interface MembershipChoice {
  membership: Membership;
  organization: Organization;
}

/** The orgs a person can sign in to, with their memberships (disabled ones too: they get a clear refusal). */
export async function membershipChoices(db: Executor, userId: string): Promise<MembershipChoice[]> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
    .selectAll('memberships')
    .select(['organizations.name as org_name', 'organizations.sso_entitled', 'organizations.auto_provision', 'organizations.enforce_sso', 'organizations.created_at as org_created_at', 'organizations.updated_at as org_updated_at'])
    .where('memberships.user_id', '=', userId)
    .orderBy('organizations.name')
    .execute();
  return rows.map(({ org_name, sso_entitled, auto_provision, enforce_sso, org_created_at, org_updated_at, ...membership }) => ({
    membership,
    organization: { id: membership.organization_id, name: org_name, sso_entitled, auto_provision, enforce_sso, created_at: org_created_at, updated_at: org_updated_at },
  }));
}

export type OrgDecision = { outcome: 'allowed'; choice: MembershipChoice } | { outcome: 'refused'; reason: SignInRefusal; organization?: Organization };

/** Whether this membership may sign in with this method: disabled memberships and passwords under enforce_sso are refused. */
export function decideOrganization(choice: MembershipChoice | undefined, amr: readonly string[]): OrgDecision {
  if (!choice) return { outcome: 'refused', reason: 'not_a_member' };
  if (choice.membership.state !== 'active') return { outcome: 'refused', reason: 'membership_disabled', organization: choice.organization };
  if (choice.organization.enforce_sso && amr.includes('pwd')) return { outcome: 'refused', reason: 'sso_required', organization: choice.organization };
  return { outcome: 'allowed', choice };
}

export async function recordSignInRefusal(
  db: Executor,
  call: Call,
  refusal: { reason: SignInRefusal; clientId: string; organizationId?: string | null; email?: string; userId?: string },
): Promise<void> {
  await recordEvent(db, call.ctx.clock, {
    type: 'user.signin_failed',
    organizationId: refusal.organizationId ?? null,
    actor: refusal.userId ? { type: 'user', id: refusal.userId } : { type: 'system' },
    data: { reason: refusal.reason, client_id: refusal.clientId, ...(refusal.email ? { email: refusal.email } : {}), ...(refusal.userId ? { user_id: refusal.userId } : {}) },
  });
}

/** Binds a provider grant to the org this sign-in chose; its tokens carry that org's claims. */
export async function bindGrantOrganization(db: Executor, call: Call, input: { grantId: string; userId: string; organizationId: string; clientId: string; method: string; connectionId?: string }): Promise<void> {
  await db
    .insertInto('grant_organizations')
    .values({ grant_id: input.grantId, user_id: input.userId, organization_id: input.organizationId, expires_at: null, created_at: call.ctx.clock.now().toISOString() })
    .onConflict((oc) => oc.column('grant_id').doUpdateSet({ organization_id: input.organizationId, user_id: input.userId }))
    .execute();
  await recordEvent(db, call.ctx.clock, {
    type: 'user.signed_in',
    organizationId: input.organizationId,
    actor: { type: 'user', id: input.userId },
    data: { user_id: input.userId, client_id: input.clientId, method: input.method, ...(input.connectionId ? { connection_id: input.connectionId } : {}) },
  });
}
